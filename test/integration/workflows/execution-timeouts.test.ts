/**
 * Every workflow Clasper starts ends: each kind — turns from the API, compact and llm-task, the
 * three schedules' runs, the children they start (notification turns, the turns of heartbeats and
 * notifications, webhook deliveries), a one-shot script's run, a session and a budget — is started
 * on the real dev server, and its execution timeout (a session's and a budget's run timeout: they
 * continue as new) is read back from Temporal.
 */
import crypto from 'node:crypto';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import { timeoutSettings } from '../../../src/config';
import {
  ensureDispatcherSchedule,
  ensureHeartbeatSchedule,
  ensureStandupSchedule,
} from '../../../src/schedules/ensure';
import {
  executionTimeoutMs,
  PER_RUN_TIMEOUT_TYPES,
  type WorkflowTypeName,
} from '../../../src/shared/timeouts';
import { WorkflowType } from '../../../src/shared/workflow-types';
import { runOnce } from '../../../scripts/lib/run-once';
import { sendBody } from '../../support/stack';
import {
  enqueueNotification,
  trackSchedule,
  triggerAndAwait,
  uniqueUser,
  useScheduleStack,
  waitFor,
} from './helpers';

const stack = useScheduleStack({
  env: {
    CLASPER_DEFAULT_TASK: 'Inbox',
    DISPATCH_INTERVAL_SEC: '3600',
    CLASPER_TURN_TIMEOUT_SEC: '600',
    CLASPER_APPROVAL_TIMEOUT_SEC: '60',
    CLASPER_MAX_TOOL_ITERATIONS: '3',
  },
});

/** Worked out by hand from the env above, so a slip in executionTimeoutMs shows too. */
const EXPECTED_SEC: Record<WorkflowTypeName, number> = {
  agentTurn: 600 + 3 * 60,
  heartbeat: 780 + 600,
  notificationTurn: 780 + 7 * 86_400 + 300,
  // One poll a run (the default 300 s window is not above the 3600 s interval): a poll's 120 s
  // budget and 300 s slack.
  dispatcher: 120 + 300,
  standup: 600,
  compactConversation: 600,
  llmTask: 600,
  webhookDelivery: 900,
  // Per run (workflowRunTimeout): a day of age, one turn, the idle window (default 1 h), slack.
  session: 86_400 + 780 + 3600 + 300,
  budget: 86_400 + 300,
};

describe('execution timeouts', () => {
  it('every kind of workflow the system starts has one, from config', async () => {
    const s = stack();
    const settings = timeoutSettings(s.config);
    for (const type of Object.values(WorkflowType))
      expect(executionTimeoutMs(type, settings)).toBe(EXPECTED_SEC[type] * 1000);
    s.llm.respond(() => ({ text: '{"city":"Berlin"}' }));
    const user = uniqueUser('timeouts');
    const agent = { userId: user, role: 'lead' };

    // The API: a budget override (the user's budget workflow), a turn through its session with a
    // webhook (its delivery is a child), compact, llm-task.
    const budget = await s.api.inject({
      method: 'PUT',
      url: `/api/budgets/${user}`,
      payload: { tokens_per_day: 1_000_000 },
    });
    expect(budget.statusCode).toBe(200);
    const sent = await s.api.inject({
      method: 'POST',
      url: '/api/agents/send',
      payload: sendBody({
        user_id: user,
        session_key: `user:${user}:lead`,
        webhook: { url: `${s.backend.url}/no-such-hook` },
      }),
    });
    expect(sent.statusCode).toBe(200);
    const compact = await s.api.inject({
      method: 'POST',
      url: '/compact',
      payload: {
        messages: [
          { role: 'user', content: 'hi' },
          { role: 'assistant', content: 'hello' },
          { role: 'user', content: 'plan' },
        ],
        keep_recent: 1,
      },
    });
    expect(compact.statusCode).toBe(200);
    const task = await s.api.inject({ method: 'POST', url: '/llm-task', payload: { prompt: 'city?' } });
    expect(task.statusCode).toBe(200);

    // The schedules: each action carries the timeout, and so does every run and child it starts.
    const heartbeat = await ensureHeartbeatSchedule(s.client, s.config, agent);
    const standup = await ensureStandupSchedule(s.client, s.config, agent);
    const dispatcher = await ensureDispatcherSchedule(s.client, s.config, {
      scheduleId: trackSchedule(`clasper-dispatcher/test-${crypto.randomUUID()}`),
    });
    trackSchedule(heartbeat.scheduleId);
    trackSchedule(standup.scheduleId);
    const expectedAction: [typeof heartbeat, WorkflowTypeName][] = [
      [heartbeat, 'heartbeat'],
      [standup, 'standup'],
      [dispatcher, 'dispatcher'],
    ];
    for (const [ensured, type] of expectedAction) {
      const { action } = await ensured.handle.describe();
      expect(action.type === 'startWorkflow' && action.workflowExecutionTimeout).toBe(
        EXPECTED_SEC[type] * 1000,
      );
    }
    await triggerAndAwait(s.client, heartbeat.handle);
    await triggerAndAwait(s.client, standup.handle);
    await enqueueNotification(s, { user_id: user, session_key: `user:${user}:lead`, content: 'ping' });
    const dispatched = await triggerAndAwait<{ started: number }>(s.client, dispatcher.handle);
    expect(dispatched.result.started).toBe(1);

    // A one-shot script's run (npm run standup): the same deadline as the schedule's.
    const script = await runOnce(s.client, s.config, {
      workflowType: 'standup',
      workflowId: `${standup.scheduleId}/manual-${crypto.randomUUID()}`,
      args: [{ userId: user, role: 'lead', timezone: 'UTC' }],
    });
    expect(script).toBeTruthy();

    // Every workflow on the stack's task queue, read back from Temporal, once all have started.
    const query = `TaskQueue = "${s.taskQueue}"`;
    const byType = await waitFor(
      'every workflow type on the task queue',
      async () => {
        const found = new Map<string, number[]>();
        for await (const wf of s.client.workflow.list({ query })) {
          const desc = await s.client.workflow.getHandle(wf.workflowId, wf.runId).describe();
          const config = desc.raw.executionConfig;
          const ms = optionalTsToMs(
            PER_RUN_TIMEOUT_TYPES.has(wf.type as WorkflowTypeName)
              ? config?.workflowRunTimeout
              : config?.workflowExecutionTimeout,
          );
          found.set(wf.type, [...(found.get(wf.type) ?? []), ms ?? 0]);
        }
        return Object.values(WorkflowType).every((t) => found.has(t)) && found;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    for (const type of Object.values(WorkflowType)) {
      const timeouts = byType.get(type) ?? [];
      expect({ type, timeouts: [...new Set(timeouts)] }).toEqual({
        type,
        timeouts: [EXPECTED_SEC[type] * 1000],
      });
    }
    // Two agent turns from the API and the schedules' children, two standups (schedule, script).
    expect(byType.get('agentTurn')?.length).toBe(3);
    expect(byType.get('standup')?.length).toBe(2);
  });
});
