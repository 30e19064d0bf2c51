/**
 * Doctor: the backend answers the capabilities probe and speaks contract v1, and it ACCEPTS our
 * agent JWT (an authenticated read, not just the probe, which a backend may serve open).
 */
import type { Config } from '../../config';
import { isFailureOfType } from '../../shared/failures';
import {
  MissionControlClient,
  MissionControlError,
  missionControlFailureDetails,
  type Capabilities,
} from '../../clients/mission-control';
import { errorMessage } from '../output';
import { notChecked, type DoctorCheck } from './check';

export const JWT_REJECTED =
  "the backend rejected the agent token: AGENT_JWT_SECRET / AGENT_JWT_ALGORITHM differ from the backend's";
const PROBE_ROLE = 'doctor';
const DEFAULT_PROBE_USER = 'clasper-doctor';

export async function checkBackend(config: Config, timeoutMs: number): Promise<DoctorCheck[]> {
  const { url, jwtSecret, jwtAlgorithm } = config.backend;
  const mc = new MissionControlClient(config.backend, { timeoutMs });
  const probe = { userId: config.script.userId ?? DEFAULT_PROBE_USER, role: PROBE_ROLE };

  let caps: Capabilities;
  try {
    // Without AGENT_JWT_SECRET no token can be minted; the contract's capabilities probe may still answer.
    caps = jwtSecret ? await mc.capabilities(probe) : await mc.anonymousCapabilities();
  } catch (err) {
    if (jwtSecret && isFailureOfType(err, MissionControlError.Unauthorized)) {
      // A backend that guards capabilities too: reachable, and the token check below says why it refused.
      return [
        {
          name: 'backend',
          status: 'warn',
          reason: `reachable at ${url}, but it refused the capabilities probe (401)`,
        },
        { name: 'agent token', status: 'fail', reason: JWT_REJECTED, details: [errorMessage(err)] },
      ];
    }
    return [
      { name: 'backend', status: 'fail', reason: `not usable at ${url} (BACKEND_URL): ${errorMessage(err)}` },
      notChecked('agent token', 'backend not reachable'),
    ];
  }
  const backend = contractCheck(url, caps);

  if (!jwtSecret) {
    return [
      backend,
      {
        name: 'agent token',
        status: 'fail',
        reason: 'AGENT_JWT_SECRET is not set: the worker cannot sign agent tokens for the backend',
      },
    ];
  }
  try {
    await mc.listTasks(probe, { limit: 1 });
    return [
      backend,
      {
        name: 'agent token',
        status: 'ok',
        reason: `the backend accepted an ${jwtAlgorithm} agent token (read tasks as '${probe.userId}')`,
      },
    ];
  } catch (err) {
    if (isFailureOfType(err, MissionControlError.Unauthorized)) {
      return [
        backend,
        { name: 'agent token', status: 'fail', reason: JWT_REJECTED, details: [backendSaid(err)] },
      ];
    }
    if (isFailureOfType(err, MissionControlError.Forbidden)) {
      return [
        backend,
        {
          name: 'agent token',
          status: 'fail',
          reason: `the backend answered 403 to an authenticated read as user '${probe.userId}' (set USER_ID to a user it knows)`,
          details: [backendSaid(err)],
        },
      ];
    }
    return [
      backend,
      { name: 'agent token', status: 'fail', reason: `authenticated read failed: ${errorMessage(err)}` },
    ];
  }
}

function contractCheck(url: string, caps: Capabilities): DoctorCheck {
  if (caps.contract_version !== 'v1') {
    return {
      name: 'backend',
      status: 'fail',
      reason: `${url} speaks Mission Control contract '${caps.contract_version}'; this runtime needs v1`,
    };
  }
  const features = Object.entries(caps.features)
    .filter(([, on]) => on === true)
    .map(([name]) => name);
  return {
    name: 'backend',
    status: 'ok',
    reason: `contract v1 at ${url}; features: ${features.join(', ') || 'none'}`,
  };
}

/** The backend's own words from a classified failure's details, without the client's generic hint. */
function backendSaid(err: unknown): string {
  const d = missionControlFailureDetails(err);
  if (!d?.text) return errorMessage(err);
  return `backend said: ${d.path} answered ${d.status ?? 'nothing'}: ${d.text}`;
}
