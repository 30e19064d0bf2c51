/**
 * Is notification dispatch running, and if not, why? Read from the `clasper-dispatcher`
 * schedule's own state (exists, paused, its note) beside what the backend offers, so
 * `/health?deep=true`, `clasper doctor` and `npm run dispatcher` give the same answer whatever the
 * dispatcher workflow does inside.
 */
import { ScheduleNotFoundError, type Client } from '@temporalio/client';
import { DISPATCHER_SCHEDULE_ID } from '../shared/ids';
import { DISPATCH_UNSUPPORTED_NOTE, DISPATCH_UNSUPPORTED_REASON, NO_INTERNAL_TOKEN_REASON } from './ensure';

export type DispatcherRunState = 'active' | 'paused' | 'not_created';

export interface DispatcherState {
  state: DispatcherRunState;
  /** Why it is not running (or why running is wrong); absent when active as it should be. */
  reason?: string;
  /** Active against a backend without dispatch: every run fails until the schedule is paused. */
  failing: boolean;
  /** Not running by design: no INTERNAL_API_TOKEN, or a backend without dispatch. */
  offByDesign: boolean;
}

export interface DispatcherFacts {
  /** From the backend's capabilities; undefined when they could not be read. */
  dispatchOffered?: boolean;
  /** Whether this process has INTERNAL_API_TOKEN (the worker creates the schedule only with it). */
  internalTokenSet: boolean;
  scheduleId?: string;
  timeoutMs?: number;
}

export async function dispatcherState(client: Client, facts: DispatcherFacts): Promise<DispatcherState> {
  const scheduleId = facts.scheduleId ?? DISPATCHER_SCHEDULE_ID;
  const offered = facts.dispatchOffered;
  const found = (state: DispatcherRunState, reason?: string, flags: Partial<DispatcherState> = {}) => ({
    state,
    ...(reason ? { reason } : {}),
    failing: false,
    offByDesign: false,
    ...flags,
  });
  let described;
  try {
    const describe = () => client.schedule.getHandle(scheduleId).describe();
    described = facts.timeoutMs
      ? await client.withDeadline(Date.now() + facts.timeoutMs, describe)
      : await describe();
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
    if (offered === false) return found('not_created', DISPATCH_UNSUPPORTED_REASON, { offByDesign: true });
    if (!facts.internalTokenSet) return found('not_created', NO_INTERNAL_TOKEN_REASON, { offByDesign: true });
    return found(
      'not_created',
      `schedule ${scheduleId} does not exist: start the worker (it creates it) or run npm run dispatcher`,
    );
  }
  if (described.state.paused) {
    const note = described.state.note || 'paused without a note (unpause it in the Temporal UI)';
    return found('paused', note, { offByDesign: described.state.note === DISPATCH_UNSUPPORTED_NOTE });
  }
  if (offered === false) {
    return found(
      'active',
      `${DISPATCH_UNSUPPORTED_REASON}, so every run fails: restart the worker (it pauses the schedule)`,
      { failing: true },
    );
  }
  return found('active');
}
