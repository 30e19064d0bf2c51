/**
 * The dispatch lag as the dispatcher last reported it, for `/health?deep=true`: the running run's
 * `awaitDeliveries` heartbeat details (its polls leave no history, so this is where they show),
 * else the last finished run's result. Read through the schedule, so it follows whatever run the
 * schedule started; nothing here polls the backend itself.
 */
import { ScheduleNotFoundError, type Client } from '@temporalio/client';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import type { DispatcherInput, DispatchPollStats, DispatchResult } from '../shared/dispatch';

/** Heartbeats reach the server throttled (≤ 8 s with a 10 s heartbeat timeout); a run starts within seconds of the last. */
const STALE_SLACK_SEC = 30;

export type DispatchLag =
  | { status: 'unchecked'; reason: string }
  | { status: 'ok' | 'error'; lastPoll?: DispatchPollStats; intervalSec: number; error?: string };

export async function describeDispatchLag(
  client: Client,
  scheduleId: string,
  nowMs: number = Date.now(),
): Promise<DispatchLag> {
  let schedule;
  try {
    schedule = await client.schedule.getHandle(scheduleId).describe();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError)
      return { status: 'unchecked', reason: 'no dispatcher schedule' };
    throw err;
  }
  if (schedule.state.paused) return { status: 'unchecked', reason: 'the dispatcher schedule is paused' };
  const action = schedule.action.type === 'startWorkflow' ? schedule.action : undefined;
  const input = action?.args?.[0] as Partial<DispatcherInput> | undefined;
  const intervalSec = input?.intervalSec ?? 0;
  const windowSec = Math.max(intervalSec, input?.windowSec ?? 0);

  const running = schedule.info.runningActions[0];
  const lastPoll = running
    ? await heartbeatStats(client, running.workflow.workflowId)
    : await resultStats(client, schedule.info.recentActions.at(-1)?.action.workflow);
  if (!lastPoll) {
    // Nothing reported yet: a run that just started, or none since the schedule was created.
    const sinceCreated = (nowMs - schedule.info.createdAt.getTime()) / 1000;
    if (sinceCreated <= windowSec + STALE_SLACK_SEC) return { status: 'ok', intervalSec };
    return {
      status: 'error',
      intervalSec,
      error: 'the dispatcher has reported no poll: is a worker running on its task queue?',
    };
  }
  const ageSec = Math.round((nowMs - Date.parse(lastPoll.lastPollAt)) / 1000);
  // Between runs the last finished one may be up to a window old.
  const limitSec = (running ? intervalSec : windowSec) + STALE_SLACK_SEC;
  if (ageSec > limitSec) {
    return {
      status: 'error',
      lastPoll,
      intervalSec,
      error: `the dispatcher last polled ${ageSec} s ago (every ${intervalSec} s expected): is a worker running on its task queue?`,
    };
  }
  return { status: 'ok', lastPoll, intervalSec };
}

/**
 * Handles without a run id: a run that continued as new is the same action of the schedule, and
 * its latest run is the one polling (or holding the result). Each action has its own workflow id.
 */
async function heartbeatStats(client: Client, workflowId: string): Promise<DispatchPollStats | undefined> {
  const { raw } = await client.workflow.getHandle(workflowId).describe();
  const pending = raw.pendingActivities?.find((a) => a.activityType?.name === 'awaitDeliveries');
  const payloads = pending?.heartbeatDetails?.payloads;
  if (!payloads?.length) return undefined;
  const stats = await decodeFromPayloadsAtIndex<DispatchPollStats | undefined>(
    client.options.loadedDataConverter,
    0,
    payloads,
  );
  return stats ?? undefined;
}

async function resultStats(
  client: Client,
  run: { workflowId: string } | undefined,
): Promise<DispatchPollStats | undefined> {
  if (!run) return undefined;
  const handle = client.workflow.getHandle(run.workflowId);
  if ((await handle.describe()).status.name !== 'COMPLETED') return undefined;
  const result = (await handle.result()) as DispatchResult;
  return result.lastPoll;
}
