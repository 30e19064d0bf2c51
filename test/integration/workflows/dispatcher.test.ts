/**
 * The dispatcher on the real stack: a schedule (unique id, long interval so only our triggers run
 * it) whose runs fetch undelivered notifications from the reference backend and start one
 * notificationTurn each. Asserts what the backend stored: replies, acks, nothing twice.
 */
import crypto from 'node:crypto';
import { WorkflowFailedError, type ScheduleHandle } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import type { DispatchResult, NotificationTurnResult } from '../../../src/shared/dispatch';
import { makeNotificationTurnId } from '../../../src/shared/ids';
import { ClasperTrigger } from '../../../src/shared/search-attributes';
import { ensureDispatcherSchedule } from '../../../src/schedules/ensure';
import type { Stack } from '../../support/stack';
import {
  enqueueNotification,
  lastUserText,
  trackSchedule,
  triggerAndAwait,
  uniqueUser,
  useScheduleStack,
  waitFor,
} from './helpers';

const stack = useScheduleStack({ env: { CLASPER_DEFAULT_TASK: 'Inbox', DISPATCH_INTERVAL_SEC: '3600' } });
let schedule: ScheduleHandle;

beforeAll(async () => {
  const id = trackSchedule(`clasper-dispatcher/test-${crypto.randomUUID()}`);
  ({ handle: schedule } = await ensureDispatcherSchedule(stack().client, stack().config, { scheduleId: id }));
});

/** The model echoes the notification it was given, so each reply names its notification. */
function echoModel(s: Stack): void {
  s.llm.respond((req) => ({ text: `Handled: ${lastUserText(req)}` }));
}

/** One run of the schedule (its window is no longer than its interval: one poll), without its lag stats. */
async function dispatch(): Promise<Omit<DispatchResult, 'lastPoll'>> {
  const { lastPoll, ...counts } = (await triggerAndAwait<DispatchResult>(stack().client, schedule)).result;
  expect(lastPoll).toMatchObject({ polls: 1, lastPollDeliveries: counts.started + counts.alreadyHandled });
  return counts;
}

function turnResult(notificationId: string): Promise<NotificationTurnResult> {
  return stack().client.workflow.getHandle(makeNotificationTurnId(notificationId)).result();
}

async function repliesFor(userId: string) {
  return (await stack().backend.inspect(userId)).messages.filter((m) => m.actor_type === 'agent');
}

describe('dispatcher schedule', () => {
  it('three notifications → three replies and three acks', async () => {
    echoModel(stack());
    const user = uniqueUser();
    const ids = [];
    for (const text of ['first', 'second', 'third']) {
      ids.push(
        await enqueueNotification(stack(), {
          user_id: user,
          session_key: `user:${user}:lead`,
          content: `ping ${text}`,
        }),
      );
    }
    expect(await dispatch()).toEqual({
      fetched: 3,
      started: 3,
      alreadyHandled: 0,
      malformed: 0,
      deferred: 0,
      polls: 1,
    });
    const results = await Promise.all(ids.map(turnResult));
    expect(results.every((r) => r.acked && r.turn === 'completed' && r.posted)).toBe(true);

    const replies = await repliesFor(user);
    expect(replies.map((m) => m.content).sort()).toEqual([
      'Handled: ping first',
      'Handled: ping second',
      'Handled: ping third',
    ]);
    expect(replies.every((m) => m.agent_role === 'lead')).toBe(true);
    const data = await stack().backend.inspect(user);
    expect(data.tasks.map((t) => t.title)).toEqual(['Inbox']);
    expect(data.notifications.every((n) => n.delivered)).toBe(true);
    // Nothing left for the next tick.
    expect(await dispatch()).toMatchObject({ fetched: 0, started: 0 });
  });

  it('uses the delivery task_title when the backend sends one, and the turn is tagged as dispatched', async () => {
    echoModel(stack());
    const user = uniqueUser();
    const id = await enqueueNotification(stack(), {
      user_id: user,
      session_key: `user:${user}:writer`,
      content: 'draft the intro',
      task_title: 'Blog post',
    });
    await dispatch();
    const result = await turnResult(id);
    const data = await stack().backend.inspect(user);
    expect(data.tasks.map((t) => t.title)).toEqual(['Blog post']);
    expect(data.messages).toEqual([
      expect.objectContaining({ task_id: result.task_id, agent_role: 'writer' }),
    ]);
    const turn = await stack().client.workflow.getHandle(result.turn_id).describe();
    expect(turn.type).toBe('agentTurn');
    expect(turn.typedSearchAttributes.get(ClasperTrigger)).toBe('dispatcher');
  });

  it('a failed ack is retried: still exactly one reply, acked later', async () => {
    echoModel(stack());
    const user = uniqueUser();
    const id = await enqueueNotification(stack(), {
      user_id: user,
      session_key: `user:${user}:lead`,
      content: 'ack me',
    });
    const faults = await stack().backend.internal('POST', '/api/mission-control/_faults', {
      rules: [
        {
          method: 'POST',
          path: '/api/mission-control/dispatch/notifications/',
          mode: 'status',
          status: 503,
          times: 1,
        },
      ],
    });
    expect(faults.ok).toBe(true);

    expect(await dispatch()).toMatchObject({ fetched: 1, started: 1 });
    expect(await turnResult(id)).toMatchObject({ acked: true, posted: true });
    const state = (await (await stack().backend.internal('GET', '/api/mission-control/_faults')).json()) as {
      applied: { path: string }[];
    };
    expect(state.applied.some((a) => a.path.includes(id))).toBe(true);

    expect(await repliesFor(user)).toHaveLength(1);
    expect((await stack().backend.inspect(user)).notifications).toEqual([
      expect.objectContaining({ delivered: true }),
    ]);
    expect(await dispatch()).toMatchObject({ fetched: 0 });
  });

  it('skips malformed deliveries (counted, never acked) and handles the rest', async () => {
    echoModel(stack());
    const user = uniqueUser();
    const good = await enqueueNotification(stack(), {
      user_id: user,
      session_key: `user:${user}:lead`,
      content: 'good one',
    });
    const noSession = await enqueueNotification(
      stack(),
      { user_id: user, content: 'no session key' },
      { unchecked: true },
    );
    const noContent = await enqueueNotification(
      stack(),
      { user_id: user, session_key: `user:${user}:lead` },
      { unchecked: true },
    );
    const badRole = await enqueueNotification(stack(), {
      user_id: user,
      session_key: `user:${user}:bad role!`,
      content: 'x',
    });

    expect(await dispatch()).toEqual({
      fetched: 4,
      started: 1,
      alreadyHandled: 0,
      malformed: 3,
      deferred: 0,
      polls: 1,
    });
    expect(await turnResult(good)).toMatchObject({ acked: true });
    expect((await repliesFor(user)).map((m) => m.content)).toEqual(['Handled: good one']);
    const notifications = (await stack().backend.inspect(user)).notifications;
    const delivered = Object.fromEntries(notifications.map((n) => [n.notification_id, n.delivered]));
    expect(delivered).toEqual({ [good]: true, [noSession]: false, [noContent]: false, [badRole]: false });

    // They come back on the next poll, still skipped, still not fatal.
    expect(await dispatch()).toEqual({
      fetched: 3,
      started: 0,
      alreadyHandled: 0,
      malformed: 3,
      deferred: 0,
      polls: 1,
    });
    // Ack them by hand so later tests in this file start from an empty queue.
    for (const id of [noSession, noContent, badRole]) {
      await stack().backend.internal(
        'POST',
        `/api/mission-control/dispatch/notifications/${id}/deliver?user_id=${user}`,
      );
    }
  });

  it('a turn that fails for good is acked (it can never run again) and fails its notificationTurn visibly', async () => {
    stack().llm.script({ status: 400, error: 'bad request from the model' });
    const user = uniqueUser();
    const id = await enqueueNotification(stack(), {
      user_id: user,
      session_key: `user:${user}:lead`,
      content: 'doomed',
    });
    await dispatch();
    const failure = await turnResult(id).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const cause = (failure as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe('NotificationTurn.TurnFailed');
    expect(cause.message).toMatch(/bad request from the model/);
    expect(await repliesFor(user)).toHaveLength(0);
    expect((await stack().backend.inspect(user)).notifications).toEqual([
      expect.objectContaining({ delivered: true }),
    ]);
  });

  it('dispatching twice while a notification turn is running does not start a second reply', async () => {
    const user = uniqueUser();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let modelCalls = 0;
    stack().llm.respond(async (req) => {
      modelCalls += 1;
      await gate; // hold the turn open until both dispatches have run
      return { text: `Handled: ${lastUserText(req)}` };
    });
    const id = await enqueueNotification(stack(), {
      user_id: user,
      session_key: `user:${user}:lead`,
      content: 'slow one',
    });

    expect(await dispatch()).toMatchObject({ fetched: 1, started: 1, alreadyHandled: 0 });
    await waitFor('the turn to reach the model', async () => modelCalls > 0);
    expect(await dispatch()).toMatchObject({ fetched: 1, started: 0, alreadyHandled: 1 });
    release();

    expect(await turnResult(id)).toMatchObject({ acked: true, posted: true });
    // Closed and acked: a third poll finds nothing, and even a forced start would be rejected.
    expect(await dispatch()).toMatchObject({ fetched: 0 });
    expect(modelCalls).toBe(1);
    expect(await repliesFor(user)).toHaveLength(1);
  });
});
