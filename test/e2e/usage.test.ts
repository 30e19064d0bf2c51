/**
 * GET /usage sums completed and failed turns per user from Temporal visibility (the usage search attributes
 * each AgentTurn upserts when it finishes), not from a counter in the API process.
 */
import crypto from 'node:crypto';
import {
  TypedSearchAttributes,
  type SearchAttributePair,
  type SearchAttributeUpdatePair,
} from '@temporalio/common';
import { parseSince, usageVisibilityQuery } from '../../src/api/usage';
import {
  costToMicros,
  sumByUser,
  turnUsageFrom,
  usageSearchAttributes,
  UNKNOWN_COST,
} from '../../src/shared/usage';
import { ClasperCostUsd, ClasperUserId } from '../../src/shared/search-attributes';
import { startStack, sendBody, type Stack } from '../support/stack';
import { eventually } from '../support/api-app';

describe('GET /usage (real turns, Temporal visibility)', () => {
  let stack: Stack;
  // Unique per run: the dev server is shared by every test file and keeps all their turns.
  const run = crypto.randomUUID().slice(0, 8);
  const alice = `usage-alice-${run}`;
  const bob = `usage-bob-${run}`;

  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  async function turn(userId: string, usage: { prompt_tokens: number; completion_tokens: number }) {
    stack.llm.script({ text: `reply for ${userId}`, usage });
    const res = await stack.api.inject({
      method: 'POST',
      url: '/api/agents/send',
      payload: sendBody({ user_id: userId, session_key: `user:${userId}:lead` }),
    });
    expect(res.statusCode).toBe(200);
    return res.json() as {
      cost: number;
      usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
    };
  }

  it('sums two users separately, exactly, once visibility has caught up', async () => {
    const a1 = await turn(alice, { prompt_tokens: 1000, completion_tokens: 200 });
    const a2 = await turn(alice, { prompt_tokens: 2000, completion_tokens: 500 });
    const b1 = await turn(bob, { prompt_tokens: 300, completion_tokens: 100 });
    // gpt-4o-mini: $0.15 / $0.60 per 1M tokens.
    expect([a1.cost, a2.cost, b1.cost]).toEqual([0.00027, 0.0006, 0.000105]);

    const usageOf = async (userId: string, expectedTurns: number) =>
      eventually(
        async () => {
          const res = await stack.api.inject({ method: 'GET', url: `/usage?user_id=${userId}` });
          expect(res.statusCode).toBe(200);
          const body = res.json();
          return body.requestCount === expectedTurns ? body : undefined;
        },
        20_000,
        `${expectedTurns} turns of ${userId} in visibility`,
      );

    const a = await usageOf(alice, 2);
    expect(a).toMatchObject({
      user_id: alice,
      requestCount: 2,
      totalInputTokens: 3000,
      totalOutputTokens: 700,
      totalTokens: 3700,
      currency: 'USD',
      truncated: false,
      consistency: 'eventual',
    });
    expect(a.totalCost).toBeCloseTo(0.00087, 9);
    expect(a.users).toEqual([
      {
        user_id: alice,
        turns: 2,
        failed_turns: 0,
        prompt_tokens: 3000,
        completion_tokens: 700,
        total_tokens: 3700,
        cost: a.totalCost,
        turns_without_cost: 0,
        turns_without_usage: 0,
      },
    ]);
    expect(a.totalTokens).toBe(a1.usage.total_tokens + a2.usage.total_tokens);

    const b = await usageOf(bob, 1);
    expect(b).toMatchObject({
      requestCount: 1,
      totalInputTokens: 300,
      totalOutputTokens: 100,
      totalTokens: 400,
    });
    expect(b.totalCost).toBeCloseTo(0.000105, 9);

    // Without user_id: everyone, each user on their own line (other test files' users included).
    const all = (await stack.api.inject({ method: 'GET', url: '/usage' })).json();
    const lines = all.users.filter((u: { user_id: string }) => u.user_id.endsWith(run));
    expect(lines.map((u: { user_id: string; turns: number }) => [u.user_id, u.turns])).toEqual([
      [alice, 2],
      [bob, 1],
    ]);
    expect(all.requestCount).toBeGreaterThanOrEqual(3);
  });

  it('keeps an unknown cost unknown: null, not 0, when no turn has a price', async () => {
    const carol = `usage-carol-${run}`;
    // A model the pricing table does not know, as a local server's would be.
    const local = await startStack({ env: { LLM_MODEL_DEFAULT: 'smollm2-135m' } });
    try {
      local.llm.script({
        text: 'local reply',
        model: 'smollm2-135m',
        usage: { prompt_tokens: 50, completion_tokens: 5 },
      });
      const res = await local.api.inject({
        method: 'POST',
        url: '/api/agents/send',
        payload: sendBody({ user_id: carol, session_key: `user:${carol}:lead` }),
      });
      expect(res.json()).toMatchObject({ model: 'smollm2-135m', cost: null });
      const body = await eventually(
        async () => {
          const b = (await stack.api.inject({ method: 'GET', url: `/usage?user_id=${carol}` })).json();
          return b.requestCount === 1 ? b : undefined;
        },
        20_000,
        'the turn of carol in visibility',
      );
      expect(body).toMatchObject({ totalTokens: 55, totalCost: null });
      expect(body.users).toEqual([expect.objectContaining({ cost: null, turns_without_cost: 1 })]);
    } finally {
      await local.stop();
    }
  });

  it('counts a failed turn with the tokens its model calls used before it failed', async () => {
    const dave = `usage-dave-${run}`;
    stack.llm.script(
      {
        toolCalls: [{ name: 'add_numbers', arguments: { a: 1, b: 2 } }],
        usage: { prompt_tokens: 700, completion_tokens: 30 },
      },
      // Non-retryable: the turn fails at step 2, after step 1's tokens were spent.
      { status: 400, error: 'This model does not accept that request' },
    );
    const res = await stack.api.inject({
      method: 'POST',
      url: '/api/agents/send',
      payload: sendBody({ user_id: dave, session_key: `user:${dave}:lead` }),
    });
    expect(res.statusCode).toBeGreaterThanOrEqual(500);
    const body = await eventually(
      async () => {
        const b = (await stack.api.inject({ method: 'GET', url: `/usage?user_id=${dave}` })).json();
        return b.requestCount === 1 ? b : undefined;
      },
      20_000,
      'the failed turn of dave in visibility',
    );
    expect(body).toMatchObject({
      requestCount: 1,
      failedCount: 1,
      totalInputTokens: 700,
      totalOutputTokens: 30,
      totalTokens: 730,
    });
    // gpt-4o-mini: 700 × $0.15/1M + 30 × $0.60/1M.
    expect(body.totalCost).toBeCloseTo(0.000123, 9);
    expect(body.users).toEqual([
      expect.objectContaining({ user_id: dave, turns: 1, failed_turns: 1, turns_without_usage: 0 }),
    ]);
  });

  it('honours since: a window that starts now holds none of the turns', async () => {
    const since = new Date().toISOString();
    const none = (
      await stack.api.inject({ method: 'GET', url: `/usage?user_id=${alice}&since=${since}` })
    ).json();
    expect(none).toMatchObject({ requestCount: 0, totalTokens: 0, totalCost: 0, users: [] });
    expect(none.since).toBe(since);
  });

  it.each([
    ['since=yesterday', 'since'],
    ['since=2999-01-01', 'since'],
    ['since=24x', 'since'],
    ["user_id=a'b", 'user_id'],
  ])('answers 400 for %s', async (query, field) => {
    const res = await stack.api.inject({ method: 'GET', url: `/usage?${query.replace("'", '%27')}` });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toContain(field);
  });
});

describe('usage helpers', () => {
  const now = new Date('2025-06-15T12:00:00Z');

  it.each([
    ['24h', '2025-06-14T12:00:00.000Z'],
    ['30m', '2025-06-15T11:30:00.000Z'],
    ['7d', '2025-06-08T12:00:00.000Z'],
    ['2w', '2025-06-01T12:00:00.000Z'],
    ['90s', '2025-06-15T11:58:30.000Z'],
    ['2025-06-01', '2025-06-01T00:00:00.000Z'],
    ['2025-06-01T09:30', '2025-06-01T09:30:00.000Z'],
    ['2025-06-01T09:30:00+02:00', '2025-06-01T07:30:00.000Z'],
    ['2025-06-15T12:00:00Z', '2025-06-15T12:00:00.000Z'],
  ])('parseSince(%j) is %s', (text, iso) => {
    expect(parseSince(text, now)?.toISOString()).toBe(iso);
  });

  it.each([
    '',
    'yesterday',
    '24',
    'h',
    '-1h',
    '1.5h',
    '2025-13-01',
    '2025-06-16',
    '2025-06-01T25:00',
    '2025/06/01',
  ])('parseSince(%j) is null', (text) => {
    expect(parseSince(text, now)).toBeNull();
  });

  it('queries completed and failed agent turns closed after since, optionally for one user', () => {
    const since = new Date('2025-06-14T12:00:00Z');
    expect(usageVisibilityQuery({ since })).toBe(
      "WorkflowType = 'agentTurn' AND (ExecutionStatus = 'Completed' OR ExecutionStatus = 'Failed') AND CloseTime > '2025-06-14T12:00:00.000Z'",
    );
    expect(usageVisibilityQuery({ since, userId: 'u1' })).toMatch(/ AND ClasperUserId = 'u1'$/);
  });

  it('round-trips a turn through its search attributes, unknown cost as -1', () => {
    const usage = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };
    const attrs = asAttributes(usageSearchAttributes('u1', { usage, cost: null }));
    expect(attrs.get(ClasperCostUsd)).toBe(UNKNOWN_COST);
    expect(turnUsageFrom(attrs)).toEqual({
      userId: 'u1',
      recorded: true,
      failed: false,
      promptTokens: 10,
      completionTokens: 5,
      totalTokens: 15,
      costMicros: -1,
    });
    const priced = usageSearchAttributes('u1', { usage, cost: 0.000123 });
    expect(priced.find((p) => p.key.name === ClasperCostUsd.name)?.value).toBe(0.000123);
  });

  it('sums per user in integer micro-dollars, counting unknown costs and unrecorded turns', () => {
    const turns = [
      turnUsageFrom(asAttributes(usageSearchAttributes('b', { usage: u(1, 1), cost: 0.1 }))),
      turnUsageFrom(asAttributes(usageSearchAttributes('a', { usage: u(2, 3), cost: 0.2 }))),
      turnUsageFrom(asAttributes(usageSearchAttributes('a', { usage: u(4, 5), cost: null })), true),
      turnUsageFrom(asAttributes([{ key: ClasperUserId, value: 'a' }])), // finished before usage was recorded
    ];
    const { users, total } = sumByUser(turns);
    expect([...users.keys()]).toEqual(['a', 'b']);
    expect(users.get('a')).toEqual({
      turns: 3,
      failedTurns: 1,
      promptTokens: 6,
      completionTokens: 8,
      totalTokens: 14,
      costMicros: 200_000,
      turnsWithoutCost: 2,
      turnsWithoutUsage: 1,
    });
    expect(total).toMatchObject({ turns: 4, failedTurns: 1, totalTokens: 16, costMicros: 300_000 });
    expect(costToMicros(0.1) + costToMicros(0.2)).toBe(300_000); // 0.1 + 0.2 would not be 0.3
  });
});

/** What visibility hands back for a turn with these attributes. */
function asAttributes(pairs: SearchAttributeUpdatePair[]): TypedSearchAttributes {
  return new TypedSearchAttributes(pairs as SearchAttributePair[]);
}

function u(prompt: number, completion: number) {
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}
