/** Doctor: the model endpoint answers `GET /models` with our key and lists the configured models. */
import type { Config } from '../../config';
import { describeFailure, isFailureOfType } from '../../shared/failures';
import { ModelError, modelFailureDetails } from '../../clients/model/errors';
import { listModelIds } from '../../clients/model/models';
import { isDemoMode, modelBaseUrl } from '../../clients/model/openai-client';
import type { DoctorCheck } from './check';

export async function checkModel(config: Config, timeoutMs: number): Promise<DoctorCheck> {
  const { llm } = config;
  if (isDemoMode(llm)) {
    return {
      name: 'model',
      status: 'warn',
      reason:
        'demo mode: neither OPENAI_API_KEY nor OPENAI_BASE_URL is set, so turns answer from the offline demo model (not checked over the network)',
    };
  }
  const base = modelBaseUrl(llm);
  let ids: string[];
  try {
    ids = await listModelIds(llm, { timeoutMs });
  } catch (err) {
    return failedCheck(err, base, llm.model);
  }
  const wanted = [llm.model, llm.fallbackModel, llm.cheapModel].filter((m): m is string => Boolean(m));
  const unlisted = ids.length > 0 ? wanted.filter((m) => !ids.includes(m)) : [];
  if (unlisted.length > 0) {
    return {
      name: 'model',
      status: 'warn',
      reason: `model endpoint ${base} reachable, but it does not list ${unlisted.map((m) => `'${m}'`).join(', ')} among its ${ids.length} models`,
    };
  }
  return {
    name: 'model',
    status: 'ok',
    reason: `model endpoint ${base} reachable; '${llm.model}' ${ids.length > 0 ? 'listed' : 'configured'}`,
  };
}

function failedCheck(err: unknown, base: string, model: string): DoctorCheck {
  const status = modelFailureDetails(err)?.status ?? null;
  if (isFailureOfType(err, ModelError.Network)) {
    return {
      name: 'model',
      status: 'fail',
      reason: `model endpoint ${base} not reachable: ${describeFailure(err)}`,
    };
  }
  if (isFailureOfType(err, ModelError.Unauthorized) || isFailureOfType(err, ModelError.Forbidden)) {
    return {
      name: 'model',
      status: 'fail',
      reason: `model endpoint ${base} rejected OPENAI_API_KEY (${status})`,
    };
  }
  if (isFailureOfType(err, ModelError.NotFound)) {
    return {
      name: 'model',
      status: 'warn',
      reason: `model endpoint ${base} is reachable but has no /models, so '${model}' could not be confirmed`,
    };
  }
  if (status !== null)
    return { name: 'model', status: 'fail', reason: `GET ${base}/models answered ${status}` };
  return { name: 'model', status: 'fail', reason: `GET ${base}/models failed: ${describeFailure(err)}` };
}
