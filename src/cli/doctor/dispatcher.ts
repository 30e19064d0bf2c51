/**
 * Doctor: does notification dispatch run, and if not, why (the `clasper-dispatcher` schedule's
 * state beside the backend's capabilities; schedules/dispatcher-state.ts). Off by design (no
 * INTERNAL_API_TOKEN, a backend without dispatch) is ok with the reason; paused or never created
 * is a warning; a schedule that runs against a backend without dispatch fails every tick: fail.
 */
import type { Client } from '@temporalio/client';
import type { Config } from '../../config';
import { MissionControlClient } from '../../clients/mission-control';
import { dispatcherState, type DispatcherState } from '../../schedules/dispatcher-state';
import { errorMessage } from '../output';
import { withTemporalClient } from '../temporal';
import { notChecked, type DoctorCheck } from './check';

const PROBE = { userId: 'clasper-doctor', role: 'doctor' };

export async function checkDispatcher(
  config: Config,
  client: Client | undefined,
  timeoutMs: number,
  scheduleId?: string,
): Promise<DoctorCheck> {
  const dispatchOffered = await offersDispatch(config, timeoutMs);
  let found: DispatcherState;
  try {
    found = await withTemporalClient(
      config,
      client,
      (c) =>
        dispatcherState(c, {
          dispatchOffered,
          internalTokenSet: config.backend.internalToken !== undefined,
          scheduleId,
          timeoutMs,
        }),
      timeoutMs,
    );
  } catch (err) {
    return notChecked('dispatcher', `the schedule could not be read: ${errorMessage(err)}`);
  }
  if (found.state === 'active')
    return found.failing
      ? { name: 'dispatcher', status: 'fail', reason: `active, but ${found.reason}` }
      : { name: 'dispatcher', status: 'ok', reason: 'active: notifications are polled on schedule' };
  const reason = `${found.state === 'paused' ? 'paused' : 'not created'}: ${found.reason}`;
  return { name: 'dispatcher', status: found.offByDesign ? 'ok' : 'warn', reason: `not running, ${reason}` };
}

/** Undefined when the capabilities cannot be read: the backend check says why. */
async function offersDispatch(config: Config, timeoutMs: number): Promise<boolean | undefined> {
  const mc = new MissionControlClient(config.backend, { timeoutMs });
  try {
    const caps = config.backend.jwtSecret ? await mc.capabilities(PROBE) : await mc.anonymousCapabilities();
    return caps.features.notifications_dispatch;
  } catch {
    return undefined;
  }
}
