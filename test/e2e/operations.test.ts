/** GET /metrics and the rate limits on model-calling requests, on the real system; the worker's own counters. */
import crypto from 'node:crypto';
import type { MetricCounter, MetricGauge, MetricMeter, MetricTags } from '@temporalio/common';
import {
  DISPATCH_DELIVERIES_METRIC,
  DISPATCH_LAST_POLL_METRIC,
  DISPATCH_OLDEST_AGE_METRIC,
  DISPATCH_POLLS_METRIC,
  MODEL_COST_METRIC,
  MODEL_TOKENS_METRIC,
  MODEL_UNPRICED_METRIC,
  recordDispatchPoll,
  recordModelCall,
  recordToolCall,
  TOOL_CALLS_METRIC,
} from '../../src/activities/metrics';
import { startStack, sendBody, type Stack } from '../support/stack';

const KEY = 'ops-test-daemon-key-0123';
const auth = { 'x-agent-daemon-key': KEY };

/** The value of one sample line of a Prometheus text exposition; 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = (m[2] ?? '').split(',');
    if (want.every((w) => have.includes(w))) return Number(m[3]);
  }
  return 0;
}

describe('operations on the real system', () => {
  let stack: Stack;
  const run = crypto.randomUUID().slice(0, 8);

  beforeAll(async () => {
    stack = await startStack({ env: { CLASPER_RATE_LIMIT_PER_MINUTE: '2', AGENT_DAEMON_API_KEY: KEY } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const metrics = async () => {
    const res = await stack.api.inject({ method: 'GET', url: '/metrics', headers: auth });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return res.body;
  };

  const send = (userId: string, extra: Record<string, string> = {}) =>
    stack.api.inject({
      method: 'POST',
      url: '/api/agents/send',
      headers: { ...auth, ...extra },
      payload: sendBody({ user_id: userId, session_key: `user:${userId}:lead` }),
    });

  describe('GET /metrics', () => {
    it('counts turns started, completed and failed, and times requests by route pattern', async () => {
      const before = await metrics();
      const user = `metrics-${run}`;

      stack.llm.script({ text: 'done' });
      const ok = await send(user);
      expect(ok.statusCode).toBe(200);
      const turnId = ok.json().turn_id as string;

      // A model that rejects the request for good (400): the turn fails, the route answers 502.
      stack.llm.script({ status: 400, error: 'bad request for this test' });
      const failed = await send(user);
      expect(failed.statusCode).toBe(502);

      const status = await stack.api.inject({
        method: 'GET',
        url: `/api/agents/turns/${encodeURIComponent(turnId)}`,
        headers: auth,
      });
      expect(status.statusCode).toBe(200);
      await stack.api.inject({ method: 'GET', url: '/no/such/route', headers: auth });

      const after = await metrics();
      const delta = (name: string) => sample(after, name) - sample(before, name);
      expect(delta('clasper_turns_started_total')).toBe(2);
      expect(delta('clasper_turns_completed_total')).toBe(1);
      expect(delta('clasper_turns_failed_total')).toBe(1);

      const count = (labels: Record<string, string>) =>
        sample(after, 'clasper_http_request_duration_seconds_count', labels);
      expect(count({ method: 'POST', route: '/api/agents/send', status_code: '200' })).toBe(1);
      expect(count({ method: 'POST', route: '/api/agents/send', status_code: '502' })).toBe(1);
      expect(count({ method: 'GET', route: '/api/agents/turns/:turn_id', status_code: '200' })).toBe(1);
      expect(count({ method: 'GET', route: 'unmatched', status_code: '404' })).toBe(1);
      // Route patterns, never raw URLs: no turn id and no unknown path becomes a label.
      expect(after).not.toContain(turnId);
      expect(after).not.toContain(encodeURIComponent(turnId));
      expect(after).not.toContain('/no/such/route');
    });
  });

  describe('rate limit on POST /api/agents/send (2 per minute here)', () => {
    it('answers the third turn of a user in a minute with 429 and Retry-After; other users are unaffected', async () => {
      const user = `limited-${run}`;
      stack.llm.script({ text: 'one' }, { text: 'two' });
      expect((await send(user)).statusCode).toBe(200);
      expect((await send(user)).statusCode).toBe(200);

      const limited = await send(user, { 'x-request-id': `limit-${run}` });
      expect(limited.statusCode).toBe(429);
      expect(limited.json()).toEqual({
        error: expect.stringMatching(/^rate limit exceeded: at most 2 turns per minute/),
      });
      const retryAfter = Number(limited.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(limited.headers['x-request-id']).toBe(`limit-${run}`);
      expect(stack.llm.remaining()).toBe(0); // the limited request never reached the model

      stack.llm.script({ text: 'someone else' });
      expect((await send(`other-${run}`)).statusCode).toBe(200);
    });

    it('does not count requests that fail validation', async () => {
      const user = `invalid-${run}`;
      for (let i = 0; i < 3; i++) {
        const res = await stack.api.inject({
          method: 'POST',
          url: '/api/agents/send',
          headers: auth,
          payload: { user_id: user, session_key: 'nonsense', message: 'hi' },
        });
        expect(res.statusCode).toBe(400);
      }
      stack.llm.script({ text: 'still allowed' });
      expect((await send(user)).statusCode).toBe(200);
    });
  });
});

describe('rate limits shared by send, stream, compact and llm-task (2 per user, 4 per caller)', () => {
  let stack: Stack;
  const run = crypto.randomUUID().slice(0, 8);
  beforeAll(async () => {
    stack = await startStack({
      env: {
        CLASPER_RATE_LIMIT_PER_MINUTE: '2',
        CLASPER_RATE_LIMIT_PER_CALLER_PER_MINUTE: '4',
        AGENT_DAEMON_API_KEY: KEY,
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });
  const post = (url: string, payload: Record<string, unknown>) =>
    stack.api.inject({ method: 'POST', url, headers: auth, payload });
  const turn = (user: string) => sendBody({ user_id: user, session_key: `user:${user}:lead` });

  it('send and stream draw on one budget per user; varying user_id runs into the caller budget; llm-task counts too', async () => {
    const a = `a-${run}`;
    stack.llm.script({ text: 'sent' }, { text: 'streamed' }, { text: 'b1' }, { text: 'b2' });
    expect((await post('/api/agents/send', turn(a))).statusCode).toBe(200);
    expect((await post('/api/agents/stream', turn(a))).statusCode).toBe(200);
    const third = await post('/api/agents/stream', turn(a));
    expect(third.statusCode).toBe(429);
    expect(third.headers['content-type']).toMatch(/^application\/json/);
    expect(third.json().error).toMatch(/at most 2 turns per minute for this user/);
    expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);

    // Two more users fill the caller's 4; a fifth request, from a fresh user, is refused for the caller.
    expect((await post('/api/agents/send', turn(`b-${run}`))).statusCode).toBe(200);
    expect((await post('/api/agents/send', turn(`c-${run}`))).statusCode).toBe(200);
    const fresh = await post('/api/agents/send', turn(`d-${run}`));
    expect(fresh.statusCode).toBe(429);
    expect(fresh.json().error).toMatch(/at most 4 model-calling requests per minute for this caller/);
    const task = await post('/llm-task', { prompt: 'Say hi as JSON' });
    expect(task.statusCode).toBe(429);
    const compact = await post('/compact', {
      messages: [
        { role: 'user', content: 'one' },
        { role: 'assistant', content: 'two' },
        { role: 'user', content: 'three' },
      ],
      keep_recent: 1,
    });
    expect(compact.statusCode).toBe(429);
    // Nothing refused reached the model.
    expect(stack.llm.remaining()).toBe(0);
    expect(stack.llm.chatRequests()).toHaveLength(4);
  });
});

describe('worker metrics recorded from activities', () => {
  function fakeMeter() {
    const added: { name: string; value: number; tags: MetricTags }[] = [];
    const counter = (name: string): MetricCounter => ({
      name,
      kind: 'counter',
      valueType: 'int',
      add: (value, tags = {}) => void added.push({ name, value, tags }),
      withTags: () => counter(name),
    });
    // A gauge's set is recorded like an add: the tests read the values in order.
    const gauge = (name: string, valueType: 'int' | 'float' = 'int'): MetricGauge => ({
      name,
      kind: 'gauge',
      valueType,
      set: (value, tags = {}) => void added.push({ name, value, tags }),
      withTags: () => gauge(name, valueType),
    });
    const meter = {
      createCounter: (name: string) => counter(name),
      createHistogram: () => {
        throw new Error('not used');
      },
      createGauge: (name: string, valueType?: 'int' | 'float') => gauge(name, valueType),
      withTags: () => meter,
    } as MetricMeter;
    return { meter, added };
  }

  const call = (cost: number | null) => ({
    model: 'gpt-4o-mini',
    content: 'hi',
    toolCalls: [],
    finishReason: 'stop',
    usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 },
    cost,
  });

  it('records prompt and completion tokens by model, and the cost in micro-USD', () => {
    const { meter, added } = fakeMeter();
    recordModelCall(call(0.000027), meter);
    expect(added).toEqual([
      { name: MODEL_TOKENS_METRIC, value: 100, tags: { model: 'gpt-4o-mini', kind: 'prompt' } },
      { name: MODEL_TOKENS_METRIC, value: 20, tags: { model: 'gpt-4o-mini', kind: 'completion' } },
      { name: MODEL_COST_METRIC, value: 27, tags: { model: 'gpt-4o-mini' } },
    ]);
  });

  it('counts an unpriced call instead of inventing a cost', () => {
    const { meter, added } = fakeMeter();
    recordModelCall(call(null), meter);
    expect(added.map((a) => a.name)).toEqual([
      MODEL_TOKENS_METRIC,
      MODEL_TOKENS_METRIC,
      MODEL_UNPRICED_METRIC,
    ]);
  });

  it('records tool calls by tool and outcome', () => {
    const { meter, added } = fakeMeter();
    recordToolCall('create_task', { ok: true, content: '{}' }, meter);
    recordToolCall('create_task', { ok: false, content: '{}', error: 'x' }, meter);
    expect(added).toEqual([
      { name: TOOL_CALLS_METRIC, value: 1, tags: { tool: 'create_task', ok: true } },
      { name: TOOL_CALLS_METRIC, value: 1, tags: { tool: 'create_task', ok: false } },
    ]);
  });

  it('records each dispatch poll: a poll, its deliveries, the oldest waiting age (0: none), when', () => {
    const { meter, added } = fakeMeter();
    const at = '2026-12-03T10:00:05.000Z';
    recordDispatchPoll(
      { polls: 3, lastPollAt: at, lastPollDeliveries: 2, oldestUndeliveredAgeSec: 4.5 },
      meter,
    );
    recordDispatchPoll(
      { polls: 4, lastPollAt: at, lastPollDeliveries: 0, oldestUndeliveredAgeSec: null },
      meter,
    );
    const unix = Date.parse(at) / 1000;
    expect(added.map((a) => [a.name, a.value])).toEqual([
      [DISPATCH_POLLS_METRIC, 1],
      [DISPATCH_DELIVERIES_METRIC, 2],
      [DISPATCH_OLDEST_AGE_METRIC, 4.5],
      [DISPATCH_LAST_POLL_METRIC, unix],
      [DISPATCH_POLLS_METRIC, 1],
      [DISPATCH_DELIVERIES_METRIC, 0],
      [DISPATCH_OLDEST_AGE_METRIC, 0],
      [DISPATCH_LAST_POLL_METRIC, unix],
    ]);
  });

  it('is a no-op outside an activity', () => {
    expect(() => recordModelCall(call(0.1))).not.toThrow();
    expect(() => recordToolCall('x', { ok: true, content: '' })).not.toThrow();
  });
});
