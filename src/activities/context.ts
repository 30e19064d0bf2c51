/**
 * The running activity's context, read in one place. Activities pass its cancellation signal to
 * the clients (which never import @temporalio/activity), so a cancelled turn aborts its HTTP calls;
 * metrics use its meter. Outside an activity (unit tests, scripts) there is none.
 */
import { Context } from '@temporalio/activity';
import type { MetricMeter } from '@temporalio/common';

function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined; // not inside an activity
  }
}

/** The signal Temporal aborts when the activity is cancelled; undefined outside an activity. */
export function cancellationSignal(): AbortSignal | undefined {
  return currentContext()?.cancellationSignal;
}

/** `{signal}` for a client call: the options object every client method takes. */
export function callOptions(): { signal?: AbortSignal } {
  return { signal: cancellationSignal() };
}

/** The running activity's attempt (1 for the first); undefined outside an activity. */
export function currentAttempt(): number | undefined {
  return currentContext()?.info.attempt;
}

/** The activity's metric meter (tagged with namespace, task queue, activity type); undefined outside one. */
export function currentMeter(): MetricMeter | undefined {
  return currentContext()?.metricMeter;
}

/** The worker's Temporal client and where this activity runs, for activities that talk to workflows. */
export function temporalContext():
  { client: Context['client']; taskQueue: string; attemptKey: string } | undefined {
  const ctx = currentContext();
  if (!ctx) return undefined;
  const { info } = ctx;
  const run = info.workflowExecution ?? { workflowId: 'standalone', runId: '' };
  return {
    client: ctx.client,
    taskQueue: info.taskQueue,
    // Names this attempt of this activity in this run: the same across a retried charge of it.
    attemptKey: `${run.workflowId}/${run.runId}/${info.activityId}/${info.attempt}`,
  };
}

/** Records progress on the running activity (shown as its heartbeat details); no-op outside one. */
export function heartbeat(details?: unknown): void {
  currentContext()?.heartbeat(details);
}

/** Sleeps like setTimeout, but a cancelled activity stops at once with a CancelledFailure. */
export async function activitySleep(ms: number): Promise<void> {
  const ctx = currentContext();
  if (ctx) await ctx.sleep(ms);
  else await new Promise((resolve) => setTimeout(resolve, ms));
}
