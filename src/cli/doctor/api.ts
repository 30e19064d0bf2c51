/** Doctor: the runtime's API answers, and takes our daemon key. */
import type { Config } from '../../config';
import { apiTarget, callApi, type FetchFn } from '../http';
import type { DoctorCheck } from './check';

export async function checkApi(
  config: Config,
  api: string | undefined,
  fetchImpl: FetchFn,
  timeoutMs: number,
): Promise<DoctorCheck> {
  const target = apiTarget(config, api, fetchImpl);
  try {
    // Not a turn id, so the API answers 404 without asking Temporal: proof that the daemon key passed.
    const res = await callApi(target, 'GET', '/api/agents/turns/clasper-doctor-probe', {
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (res.status === 401) {
      return {
        name: 'api',
        status: 'fail',
        reason: `the API at ${target.baseUrl} requires X-Agent-Daemon-Key: set AGENT_DAEMON_API_KEY to the API's key`,
      };
    }
    if (res.status === 403) {
      return {
        name: 'api',
        status: 'fail',
        reason: `the API at ${target.baseUrl} rejected AGENT_DAEMON_API_KEY`,
      };
    }
    if (res.status >= 500)
      return { name: 'api', status: 'fail', reason: `the API at ${target.baseUrl} answered ${res.status}` };
    return {
      name: 'api',
      status: 'ok',
      reason: `API at ${target.baseUrl}${target.daemonKey ? ' accepted the daemon key' : ' answers'}`,
    };
  } catch {
    return {
      name: 'api',
      status: 'warn',
      reason: `no API at ${target.baseUrl}: clasper send needs it (npm run api, or pass --api <url>)`,
    };
  }
}
