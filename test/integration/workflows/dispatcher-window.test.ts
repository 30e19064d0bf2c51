/**
 * The windowed dispatcher on the real stack, with a small window: the schedule fires every 6 s and
 * each run polls every second within it. Over about twenty seconds, with notifications arriving
 * inside and across windows, the schedule starts a handful of runs (not one per poll), an idle run
 * is a dozen history events however many polls it made, each notification gets exactly one reply,
 * the lag is readable, and a worker that shuts down is not held up by the waiting poll.
 */
import crypto from 'node:crypto';
import type { ScheduleHandle } from '@temporalio/client';
import type { AwaitedBatch, DispatchResult } from '../../../src/shared/dispatch';
import { makeNotificationTurnId } from '../../../src/shared/ids';
import { ensureDispatcherSchedule, startDispatchNow } from '../../../src/schedules/ensure';
import { describeDispatchLag } from '../../../src/schedules/dispatch-lag';
import {
  enqueueNotification,
  lastUserText,
  trackSchedule,
  uniqueUser,
  useScheduleStack,
  waitFor,
} from './helpers';

const WINDOW_SEC = 6;
const INTERVAL_SEC = 1;
const stack = useScheduleStack({
  env: {
    CLASPER_DEFAULT_TASK: 'Inbox',
    DISPATCH_INTERVAL_SEC: String(INTERVAL_SEC),
    DISPATCH_WINDOW_SEC: String(WINDOW_SEC),
  },
});
let schedule: ScheduleHandle;
let createdAt: number;

beforeAll(async () => {
  const id = trackSchedule(`clasper-dispatcher/test-${crypto.randomUUID()}`);
  ({ handle: schedule } = await ensureDispatcherSchedule(stack().client, stack().config, { scheduleId: id }));
  createdAt = Date.now();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every run the schedule started so far, oldest first (the dev server keeps the last 10). */
async function runs() {
  const { info } = await schedule.describe();
  return { taken: info.numActionsTaken, recent: info.recentActions.map((a) => a.action.workflow) };
}

async function repliesFor(userId: string) {
  return (await stack().backend.inspect(userId)).messages.filter((m) => m.actor_type === 'agent');
}

describe('dispatcher with a window', () => {
  it('the schedule fires once a window and each run polls every interval', async () => {
    const desc = await schedule.describe();
    expect(desc.spec.intervals).toEqual([expect.objectContaining({ every: WINDOW_SEC * 1000 })]);
    expect(desc.policies.overlap).toBe('BUFFER_ONE');
    expect(desc.action).toMatchObject({
      workflowType: 'dispatcher',
      args: [{ windowSec: WINDOW_SEC, intervalSec: INTERVAL_SEC }],
    });
  });

  it("the worker's start-up starts a run at once (not at the next tick), but never a second one", async () => {
    expect(await startDispatchNow(schedule, stack().config)).toBe(true);
    await waitFor(
      'the run it started',
      async () => (await schedule.describe()).info.runningActions.length > 0,
    );
    expect(await startDispatchNow(schedule, stack().config)).toBe(false);
  });

  it('few runs over ~20 s, notifications in and across windows replied to exactly once, idle runs nearly history-free', async () => {
    stack().llm.respond((req) => ({ text: `Handled: ${lastUserText(req)}` }));
    const user = uniqueUser();
    const ids: string[] = [];
    // Spread over three windows: at once, mid-window, and two more later.
    for (const [i, delayMs] of [0, 2_500, 4_500, 4_000].entries()) {
      await sleep(delayMs);
      ids.push(
        await enqueueNotification(stack(), {
          user_id: user,
          session_key: `user:${user}:lead`,
          content: `ping ${i}`,
        }),
      );
    }
    await waitFor(
      'every notification replied and acked',
      async () => {
        const data = await stack().backend.inspect(user);
        return data.notifications.length === ids.length && data.notifications.every((n) => n.delivered);
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );

    // Then a whole window with nothing to do: wait for a run that started after the last reply.
    const afterLast = Date.now();
    const idle = await waitFor(
      'a run that started and finished after the last notification',
      async () => {
        for (const run of (await runs()).recent) {
          const h = stack().client.workflow.getHandle(run.workflowId, run.firstExecutionRunId);
          const d = await h.describe();
          if (d.startTime.getTime() > afterLast && d.status.name === 'COMPLETED') return h;
        }
        return undefined;
      },
      { timeoutMs: 3 * WINDOW_SEC * 1000, intervalMs: 500 },
    );

    const elapsedSec = (Date.now() - createdAt) / 1000;
    const { taken } = await runs();
    // One run per window (plus the one in progress), where one run per poll would be ~elapsed/1.
    expect(taken).toBeLessThanOrEqual(Math.ceil(elapsedSec / WINDOW_SEC) + 1);
    expect(taken).toBeGreaterThanOrEqual(2);

    const idleResult = (await idle.result()) as DispatchResult;
    expect(idleResult).toMatchObject({ fetched: 0, started: 0 });
    expect(idleResult.polls).toBeGreaterThanOrEqual(3);
    // Started, the patch (marker and TemporalChangeVersion), one awaitDeliveries and the workflow
    // tasks around it, completed: 13 events, none per poll.
    const events = (await idle.fetchHistory()).events ?? [];
    expect(events.length).toBeLessThanOrEqual(13);

    // Exactly once: one reply per notification, one notificationTurn each, nothing left.
    const replies = await repliesFor(user);
    expect(replies.map((m) => m.content).sort()).toEqual(ids.map((_, i) => `Handled: ping ${i}`));
    for (const id of ids) {
      const turn = await stack().client.workflow.getHandle(makeNotificationTurnId(id)).describe();
      expect(turn.status.name).toBe('COMPLETED');
    }
    expect(stack().llm.chatRequests()).toHaveLength(ids.length);
  });

  it('reports the lag of the last poll', async () => {
    const user = uniqueUser();
    const lag = await describeDispatchLag(stack().client, schedule.scheduleId);
    expect(lag).toMatchObject({
      status: 'ok',
      intervalSec: INTERVAL_SEC,
      lastPoll: { polls: expect.any(Number) },
    });
    const lastPollAt = lag.status === 'unchecked' ? undefined : lag.lastPoll?.lastPollAt;
    expect(Date.now() - Date.parse(lastPollAt ?? '')).toBeLessThan(30_000);

    // A notification the dispatcher cannot start (malformed) stays undelivered and ages.
    await enqueueNotification(stack(), { user_id: user, content: 'no session key' }, { unchecked: true });
    // waitFor fails the test when no poll reports the notification aged within 30 s.
    await waitFor(
      'a poll that lists the waiting notification',
      async () => {
        const l = await describeDispatchLag(stack().client, schedule.scheduleId);
        return l.status === 'ok' && (l.lastPoll?.oldestUndeliveredAgeSec ?? 0) >= 2 ? l : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    const notifications = (await stack().backend.inspect(user)).notifications;
    for (const n of notifications)
      await stack().backend.internal(
        'POST',
        `/api/mission-control/dispatch/notifications/${n.notification_id}/deliver?user_id=${user}`,
      );
  });

  it('a worker shutting down is not held up by the waiting poll', async () => {
    const running = await waitFor('a dispatcher run waiting in its poll', async () => {
      const run = (await schedule.describe()).info.runningActions[0]?.workflow;
      if (!run) return undefined;
      const d = await stack().client.workflow.getHandle(run.workflowId, run.firstExecutionRunId).describe();
      return d.raw.pendingActivities?.[0]?.lastStartedTime ? run : undefined;
    });
    await schedule.pause('test: no new runs while the worker stops');
    stack().worker.shutdown();
    // The shutdown grace time is 30 s: a poll that kept waiting would keep the worker draining that long.
    await waitFor('the worker to stop', async () => stack().worker.getState() === 'STOPPED', {
      timeoutMs: 20_000,
    });
    const handle = stack().client.workflow.getHandle(running.workflowId, running.firstExecutionRunId);
    const history = await handle.fetchHistory();
    // Its last awaitDeliveries handed back because the worker was stopping, not at the window's end.
    const completed = (history.events ?? []).filter((e) => e.activityTaskCompletedEventAttributes);
    const payload = completed.at(-1)?.activityTaskCompletedEventAttributes?.result?.payloads?.[0];
    const last = JSON.parse(Buffer.from(payload?.data ?? []).toString()) as AwaitedBatch;
    expect(last.ended).toBe('stopping');
    await handle.terminate('test over: its worker is gone');
  });
});
