/**
 * Budgets per user (README, "Budgets"): the Budget workflow counts every model call, the model
 * activity stops the next call once the day's limit is reached, send answers 429 with Retry-After,
 * the webhook says why, GET /usage shows used and remaining, and the state outlives the worker and
 * the API. Real API, worker, Temporal, backend and webhook receiver; the model is the fake server.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkflowFailedError } from '@temporalio/client';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import { timeoutSettings } from '../../src/config';
import { makeBudgetWorkflowId, type BudgetState } from '../../src/shared/budget';
import { DEFAULT_TIMEOUT_SETTINGS, executionTimeoutMs } from '../../src/shared/timeouts';
import { WorkflowType, type BudgetWorkflow } from '../../src/shared/workflow-types';
import { startStack, sendBody, type Stack } from '../support/stack';
import { eventually, send } from './helpers';

describe('budgets', () => {
  const run = crypto.randomUUID().slice(0, 8);
  const taskQueue = `test-budgets-${run}`;
  let stack: Stack;
  const hooks: Record<string, unknown>[] = [];
  const receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      hooks.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
      res.writeHead(200).end();
    });
  });
  let hookUrl = '';

  beforeAll(async () => {
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    stack = await startStack({ taskQueue });
  });
  afterAll(async () => {
    await stack?.stop();
    receiver.close();
  });

  const budgetOf = async (s: Stack, user: string) =>
    (await s.api.inject({ method: 'GET', url: `/api/budgets/${user}` })).json();

  it('a budget reached mid-turn stops the next model call; the send answers 429 until the next day', async () => {
    const user = `budget-${run}`;
    const put = await stack.api.inject({
      method: 'PUT',
      url: `/api/budgets/${user}`,
      payload: { tokens_per_day: 1000 },
    });
    expect(put.statusCode).toBe(200);
    for (const payload of [
      { tokens_per_day: -1 },
      { usd_per_day: 'five' },
      { tokens_per_day: 1.5 },
      { daily: 1 },
    ]) {
      const bad = await stack.api.inject({ method: 'PUT', url: `/api/budgets/${user}`, payload });
      expect(bad.statusCode).toBe(400);
      expect(typeof bad.json().error).toBe('string');
    }
    for (const method of ['GET', 'PUT', 'DELETE'] as const) {
      const bad = await stack.api.inject({
        method,
        url: `/api/budgets/${encodeURIComponent('bad user/..')}`,
        ...(method === 'PUT' ? { payload: { tokens_per_day: 1 } } : {}),
      });
      expect({ method, status: bad.statusCode }).toEqual({ method, status: 400 });
      expect(typeof bad.json().error).toBe('string');
    }
    expect(put.json()).toMatchObject({ tokens_per_day: 1000, source: 'override', remaining_tokens: 1000 });

    // Step 1 spends 1,100 tokens and asks for a tool; step 2 must never reach the model.
    stack.llm.script({
      toolCalls: [{ name: 'add_numbers', arguments: { a: 1, b: 2 } }],
      usage: { prompt_tokens: 900, completion_tokens: 200 },
    });
    const res = await send(
      stack,
      sendBody({ user_id: user, session_key: `user:${user}:lead`, webhook: { url: hookUrl } }),
    );
    expect(res.statusCode).toBe(429);
    expect(res.json().error).toBe('budget exhausted: 1,100 of 1,000 tokens used today');
    const retryAfter = Number(res.headers['retry-after']);
    const midnight = new Date();
    midnight.setUTCHours(24, 0, 0, 0);
    expect(Math.abs(retryAfter - (midnight.getTime() - Date.now()) / 1000)).toBeLessThan(5);
    expect(stack.llm.chatRequests()).toHaveLength(1);
    expect((await stack.backend.inspect(user)).messages).toEqual([]);

    // The webhook says why.
    const failed = await eventually(async () =>
      hooks.find((h) => h.event === 'agent.failed' && h.user_id === user),
    );
    expect(JSON.stringify(failed)).toContain('budget exhausted: 1,100 of 1,000 tokens used today');

    // The next send is refused before any turn starts.
    const again = await send(stack, sendBody({ user_id: user, session_key: `user:${user}:lead` }));
    expect(again.statusCode).toBe(429);
    expect(again.json()).toEqual({ error: 'budget exhausted: 1,100 of 1,000 tokens used today' });
    expect(stack.llm.chatRequests()).toHaveLength(1);

    const usage = await stack.api.inject({ method: 'GET', url: `/usage?user_id=${user}` });
    expect(usage.json().budget).toMatchObject({
      tokens_per_day: 1000,
      used_tokens_today: 1100,
      remaining_tokens: 0,
      exhausted: 'budget exhausted: 1,100 of 1,000 tokens used today',
    });
  });

  it('llm-task and compact with a user_id stop before the model too', async () => {
    const user = `budget-${run}`;
    const task = await stack.api.inject({
      method: 'POST',
      url: '/llm-task',
      payload: { prompt: 'Say hi as JSON', user_id: user },
    });
    expect(task.statusCode).toBe(429);
    expect(task.json().error).toBe('budget exhausted: 1,100 of 1,000 tokens used today');
    const compact = await stack.api.inject({
      method: 'POST',
      url: '/compact',
      payload: {
        user_id: user,
        keep_recent: 0,
        messages: [{ role: 'user', content: 'hi' }],
      },
    });
    expect(compact.statusCode).toBe(429);
    expect(stack.llm.chatRequests()).toHaveLength(1);
  });

  it('a standup and a heartbeat (its AgentTurn) of the user stop before the model too', async () => {
    const user = `budget-${run}`;
    const timeouts = timeoutSettings(stack.config);
    const failure = async (type: 'standup' | 'heartbeat', args: unknown) => {
      const err = await stack.client.workflow
        .execute(type, {
          workflowId: `${type}/budget-${run}-${crypto.randomUUID()}`,
          taskQueue,
          args: [args],
          workflowExecutionTimeout: executionTimeoutMs(type, timeouts),
        })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const messages: string[] = [];
      for (let e = err as Error | undefined; e; e = e.cause as Error | undefined) messages.push(e.message);
      return messages.join(' / ');
    };
    expect(await failure('standup', { userId: user, role: 'lead', timezone: 'UTC' })).toContain(
      'budget exhausted: 1,100 of 1,000 tokens used today',
    );
    expect(await failure('heartbeat', { userId: user, role: 'lead', timeouts })).toContain(
      'budget exhausted: 1,100 of 1,000 tokens used today',
    );
    expect(stack.llm.chatRequests()).toHaveLength(1);
  });

  it('the budget outlives the worker and the API; DELETE brings the defaults back', async () => {
    const user = `budget-${run}`;
    await stack.stop();
    stack = await startStack({ taskQueue });
    expect(await budgetOf(stack, user)).toMatchObject({
      tokens_per_day: 1000,
      source: 'override',
      used_tokens_today: 1100,
      exhausted: 'budget exhausted: 1,100 of 1,000 tokens used today',
    });
    const refused = await send(stack, sendBody({ user_id: user, session_key: `user:${user}:lead` }));
    expect(refused.statusCode).toBe(429);

    const del = await stack.api.inject({ method: 'DELETE', url: `/api/budgets/${user}` });
    expect(del.json()).toMatchObject({ source: 'default', tokens_per_day: 0, remaining_tokens: null });
    expect(del.json().exhausted).toBeUndefined();
    stack.llm.script({ text: 'Back in budget.' });
    const ok = await send(stack, sendBody({ user_id: user, session_key: `user:${user}:lead` }));
    expect(ok.statusCode).toBe(200);
  });

  it('a budget run ends with its day: without an override it completes, with one it continues as new', async () => {
    // The run's day made to end in 2 s (BudgetInput.dayEndsAt) instead of at UTC midnight.
    const dayEndsAt = new Date(Date.now() + 2_000).toISOString();
    const today = new Date().toISOString().slice(0, 10);
    const start = (userId: string, state: BudgetState) =>
      stack.client.workflow.start<BudgetWorkflow>(WorkflowType.budget, {
        workflowId: makeBudgetWorkflowId(userId),
        taskQueue,
        args: [{ userId, state, dayEndsAt }],
        workflowRunTimeout: executionTimeoutMs(WorkflowType.budget, DEFAULT_TIMEOUT_SETTINGS),
      });
    const kept = `dayend-kept-${run}`;
    const plain = `dayend-plain-${run}`;
    const keptRun = await start(kept, {
      override: { tokens_per_day: 500 },
      day: today,
      tokens: 120,
      micros: 0,
    });
    const plainRun = await start(plain, { day: today, tokens: 120, micros: 0 });

    // Nothing kept: the run completes, and the next update starts a new one.
    await plainRun.result();
    expect((await plainRun.describe()).status.name).toBe('COMPLETED');
    const put = await stack.api.inject({
      method: 'PUT',
      url: `/api/budgets/${plain}`,
      payload: { usd_per_day: 2 },
    });
    expect(put.statusCode).toBe(200);
    const fresh = await stack.client.workflow.getHandle(makeBudgetWorkflowId(plain)).describe();
    expect(fresh.status.name).toBe('RUNNING');
    expect(fresh.runId).not.toBe(plainRun.firstExecutionRunId);
    expect(optionalTsToMs(fresh.raw.executionConfig?.workflowRunTimeout)).toBe((86_400 + 300) * 1000);

    // An override is kept: the run continues as new with it (and its counts) into the next day.
    const continued = await eventually(async () => {
      const d = await stack.client.workflow.getHandle(makeBudgetWorkflowId(kept)).describe();
      return d.runId !== keptRun.firstExecutionRunId ? d : undefined;
    }, 15_000);
    expect(continued.status.name).toBe('RUNNING');
    const first = stack.client.workflow.getHandle(makeBudgetWorkflowId(kept), keptRun.firstExecutionRunId);
    expect((await first.describe()).status.name).toBe('CONTINUED_AS_NEW');
    expect(await budgetOf(stack, kept)).toMatchObject({
      source: 'override',
      tokens_per_day: 500,
      used_tokens_today: 120,
    });
  });
});

describe('budgets from the defaults (CLASPER_BUDGET_USD_PER_DAY)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { CLASPER_BUDGET_USD_PER_DAY: '0.001' } });
  });
  afterAll(async () => stack?.stop());

  it('every model call is charged; past the USD limit the next send is a 429', async () => {
    const user = `usd-${crypto.randomUUID().slice(0, 8)}`;
    // gpt-4o-mini: 10,000 prompt tokens = $0.0015, over the $0.001 day.
    stack.llm.script({ text: 'Costly.', usage: { prompt_tokens: 10_000, completion_tokens: 0 } });
    const first = await send(stack, sendBody({ user_id: user, session_key: `user:${user}:lead` }));
    expect(first.statusCode).toBe(200);
    const second = await send(stack, sendBody({ user_id: user, session_key: `user:${user}:lead` }));
    expect(second.statusCode).toBe(429);
    expect(second.json().error).toBe('budget exhausted: $0.0015 of $0.001 used today');
  });
});
