/**
 * Dispatcher: one run per tick of the `clasper-dispatcher` Schedule (overlap BUFFER_ONE), covering a
 * window (DispatcherInput, docs/architecture.md "Dispatcher and NotificationTurn"). The run waits
 * in the `awaitDeliveries` activity, which polls every interval and hands back only a poll that
 * found something new (or the window's end), so an idle window is one activity in history however
 * many polls it made. For each delivery it starts one `notificationTurn` child; the children
 * outlive it (ABANDON). A child id that exists already, running or closed, means an earlier poll
 * handled that notification: counted, never an error. Malformed deliveries are logged and counted,
 * never fatal. The last poll starts one interval before the schedule's next tick, so the run is
 * normally over by then (overlap BUFFER_ONE starts the next run as soon as a late one ends).
 */
import {
  ActivityFailure,
  ApplicationFailure,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  sleep,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../activities';
import {
  DISPATCH_POLL_BUDGET_SEC,
  type AwaitedBatch,
  type DispatchBatch,
  type DispatcherInput,
  type DispatchResult,
  type MalformedDelivery,
  type NotificationDelivery,
} from '../shared/dispatch';
import { makeNotificationTurnId } from '../shared/ids';
import { turnSearchAttributes } from '../shared/search-attributes';
import { turnSummary } from '../shared/turn';
import type { notificationTurn } from './notification-turn';
import { HEARTBEAT_TIMEOUT } from './lib/liveness';
import { childTimeout } from './lib/child-timeouts';
import { DISPATCH_WINDOW_PATCH } from './lib/versions';

// One poll: a backend that does not answer within two minutes fails this tick visibly; the next
// tick polls again, so there is nothing to gain from retrying longer here.
const RETRY = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '15s' } as const;
const poll = proxyActivities<Activities>({
  startToCloseTimeout: '45s',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  scheduleToCloseTimeout: DISPATCH_POLL_BUDGET_SEC * 1000,
  retry: RETRY,
});

/** Past this many events a run continues as new (same window end): history stays small to load. */
const MAX_HISTORY_EVENTS = 10_000;

type StartOutcome = 'started' | 'alreadyHandled';

/** `untilMs` is set only by continue-as-new: the window end of the run it continues. */
export async function dispatcher(
  input: DispatcherInput & { untilMs?: number } = {},
): Promise<DispatchResult> {
  if (!patched(DISPATCH_WINDOW_PATCH)) return dispatchOnce(input);
  const intervalMs = Math.max(1, input.intervalSec ?? 1) * 1000;
  const windowMs = (input.windowSec ?? 0) * 1000;
  const startMs = workflowInfo().runStartTime.getTime();
  // The schedule fires on multiples of the window since the epoch (how interval specs are laid
  // out); the run's last poll starts one interval before the next one, so a run started late or
  // by hand covers only the rest of its window. No window: one poll.
  const nextTickMs =
    windowMs > intervalMs ? (Math.floor(startMs / windowMs) + 1) * windowMs : startMs + intervalMs;
  const windowEndMs = input.untilMs ?? nextTickMs - intervalMs;
  // Its timeouts are set per wait (below), from what is left of the window.
  const wait = proxyActivities<Activities>({
    startToCloseTimeout: 60_000,
    heartbeatTimeout: HEARTBEAT_TIMEOUT,
    scheduleToCloseTimeout: DISPATCH_POLL_BUDGET_SEC * 1000,
    retry: RETRY,
  });
  const until = new Date(windowEndMs).toISOString().slice(11, 19);
  const every = `every ${intervalMs / 1000} s until ${until}Z`;

  const total: DispatchResult = {
    fetched: 0,
    started: 0,
    alreadyHandled: 0,
    malformed: 0,
    deferred: 0,
    polls: 0,
  };
  let inFlight: string[] = [];
  let notBeforeMs: number | undefined;
  let lastFailure: string | undefined;
  for (;;) {
    setCurrentDetails(`polling ${every}; ${total.polls} polls, ${total.started} turns started`);
    let batch: AwaitedBatch;
    try {
      // Each wait lives for the rest of the window, and a poll that hangs or keeps failing at its
      // end gives up within a poll's budget: the run is over by the window's end plus that budget,
      // well inside its execution timeout (src/shared/timeouts.ts).
      const span = Math.max(0, windowEndMs - Date.now());
      batch = await wait.awaitDeliveries.executeWithOptions(
        {
          summary: `wait for notifications (poll ${every})`,
          startToCloseTimeout: span + 60_000,
          scheduleToCloseTimeout: span + DISPATCH_POLL_BUDGET_SEC * 1000,
        },
        [{ windowEndMs, intervalMs, notBeforeMs, inFlight }],
      );
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      // The poll kept failing through its retries (backend down): poll again next interval, for
      // the rest of the window, and fail the run at its end if the last poll failed too.
      lastFailure = err.cause?.message ?? err.message;
      log.warn('dispatch poll failed; polling again', {
        error: lastFailure,
        workflow_id: workflowInfo().workflowId,
      });
      if (Date.now() + intervalMs > windowEndMs) break;
      await sleep(intervalMs);
      notBeforeMs = undefined;
      continue;
    }
    lastFailure = undefined;
    const counts = await handleBatch(batch, input);
    total.fetched += batch.fetched;
    total.started += counts.started;
    total.alreadyHandled += counts.alreadyHandled + batch.stillInFlight.length;
    total.malformed += batch.malformed.length;
    total.deferred += batch.deferred;
    total.polls += batch.stats.polls;
    if (batch.stats.polls > 0) total.lastPoll = batch.stats;
    inFlight = [...batch.stillInFlight, ...batch.deliveries.map((d) => d.notificationId)];
    if (batch.ended === 'window') break;
    // After a delivery the next poll keeps the interval; after a worker stop it runs at once.
    notBeforeMs = batch.ended === 'deliveries' ? Date.parse(batch.stats.lastPollAt) + intervalMs : undefined;
    if (notBeforeMs !== undefined && notBeforeMs > windowEndMs) break;
    if (workflowInfo().historyLength > MAX_HISTORY_EVENTS || workflowInfo().continueAsNewSuggested) {
      log.info('dispatch run continues as new', { ...total, workflow_id: workflowInfo().workflowId });
      await continueAsNew<typeof dispatcher>({
        windowSec: input.windowSec ?? 0,
        intervalSec: intervalMs / 1000,
        ...(input.timeouts ? { timeouts: input.timeouts } : {}),
        untilMs: windowEndMs,
      });
    }
  }
  if (total.fetched > 0) log.info('dispatch run', { ...total, workflow_id: workflowInfo().workflowId });
  if (lastFailure)
    throw ApplicationFailure.nonRetryable(
      `the dispatcher could not poll the backend for undelivered notifications: ${lastFailure}; check BACKEND_URL and INTERNAL_API_TOKEN`,
      'Dispatcher.PollFailed',
    );
  return total;
}

/** Runs begun before DISPATCH_WINDOW_PATCH: one `fetchDeliveries` poll. */
async function dispatchOnce(input: DispatcherInput): Promise<DispatchResult> {
  const batch = await poll.fetchDeliveries.executeWithOptions(
    { summary: 'fetch undelivered notifications' },
    [],
  );
  const counts = await handleBatch(batch, input);
  const result: DispatchResult = {
    fetched: batch.fetched,
    ...counts,
    malformed: batch.malformed.length,
    deferred: batch.deferred,
    polls: 1,
  };
  if (result.fetched > 0) log.info('dispatch tick', { ...result, workflow_id: workflowInfo().workflowId });
  return result;
}

/** Logs the malformed deliveries and starts one turn per valid one. */
async function handleBatch(
  batch: DispatchBatch,
  input: DispatcherInput,
): Promise<{ started: number; alreadyHandled: number }> {
  logMalformed(batch.malformed);
  const outcomes = await Promise.all(
    batch.deliveries.map((d) => startTurn(d, batch.maxToolIterations, input)),
  );
  return {
    started: outcomes.filter((o) => o === 'started').length,
    alreadyHandled: outcomes.filter((o) => o === 'alreadyHandled').length,
  };
}

function logMalformed(malformed: MalformedDelivery[]): void {
  for (const m of malformed) {
    log.warn('malformed notification delivery skipped', {
      notification_id: m.notificationId,
      user_id: m.userId,
      reason: m.reason,
    });
  }
}

async function startTurn(
  delivery: NotificationDelivery,
  maxToolIterations: number,
  input: DispatcherInput,
): Promise<StartOutcome> {
  const summary = turnSummary({ message: delivery.content, role: delivery.role, trigger: 'dispatcher' });
  try {
    await startChild<typeof notificationTurn>('notificationTurn', {
      workflowId: makeNotificationTurnId(delivery.notificationId),
      args: [{ delivery, maxToolIterations, ...(input.timeouts ? { timeouts: input.timeouts } : {}) }],
      ...childTimeout('notificationTurn', input.timeouts),
      // The notification's turn must not end with this dispatch run.
      parentClosePolicy: 'ABANDON',
      // A closed run with this id (replied, maybe not yet acked) must never start a second reply.
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: turnSearchAttributes({ ...delivery, trigger: 'dispatcher' }),
      staticSummary: `notification ${delivery.notificationId} for ${delivery.userId}: ${summary}`,
    });
    return 'started';
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return 'alreadyHandled';
    throw err;
  }
}
