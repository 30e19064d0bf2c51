/**
 * Model failures (docs/architecture.md, "Retry classes"): a rate limit is retried after its Retry-After, a
 * request the provider rejects fails the turn at once with the provider's words (HTTP 502), and a
 * primary model that keeps failing hands the step to LLM_MODEL_FALLBACK.
 *
 * The model activity's retry interval is shortened for this file (`turnTimings`, see
 * AgentTurnInput.timings): the production policy spends ~30 s on five attempts.
 */
import { sendBody } from '../support/stack';
import { send, useStack } from './helpers';

const PRIMARY = 'gpt-4o-mini';
const FALLBACK = 'gpt-4o';

describe('model failures', () => {
  const stack = useStack({ env: { LLM_MODEL_FALLBACK: FALLBACK }, turnTimings: { modelRetryInitialMs: 50 } });

  it('a 429 with Retry-After: 1 is retried after about a second and the turn succeeds', async () => {
    stack().llm.script({ status: 429, retryAfterSec: 1 }, { text: 'After the rate limit.' });
    const res = await send(stack(), sendBody({ user_id: 'limited', session_key: 'user:limited:lead' }));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'ok', response: 'After the rate limit.', model: PRIMARY });

    const requests = stack().llm.chatRequests();
    expect(requests.map((r) => r.model)).toEqual([PRIMARY, PRIMARY]);
    // The retry waited (Retry-After: 1; the server also spaces attempts by at least 1 s).
    const gap = (requests[1]?.receivedAt ?? 0) - (requests[0]?.receivedAt ?? 0);
    expect(gap).toBeGreaterThanOrEqual(900);
    expect((await stack().backend.inspect('limited')).messages).toHaveLength(1);
  });

  it('a 400 fails the turn at once, without retries or fallback, as a 502 with the provider message', async () => {
    stack().llm.script({ status: 400, error: "Invalid value for 'tools[0]': PROVIDER-SAYS-NO" });
    const res = await send(stack(), sendBody({ user_id: 'rejected', session_key: 'user:rejected:lead' }));
    expect(res.statusCode).toBe(502);
    const body = res.json();
    expect(body).toEqual({
      error: expect.stringContaining('PROVIDER-SAYS-NO'),
      turn_id: expect.stringMatching(/^agent-turn\/rejected\//),
    });
    expect(body.error).toMatch(/^model server at http:\/\/127\.0\.0\.1:\d+ answered 400/);
    expect(stack().llm.chatRequests()).toHaveLength(1);

    // The failed turn is visible as failed, with the same error, and wrote nothing.
    const status = await stack().api.inject({
      method: 'GET',
      url: `/api/agents/turns/${encodeURIComponent(body.turn_id)}`,
    });
    expect(status.json()).toEqual({ turn_id: body.turn_id, status: 'failed', error: body.error });
    expect((await stack().backend.inspect('rejected')).messages).toEqual([]);
  });

  it("a server's validation 500 on our request is retried once, then fails the turn with its words, without the fallback", async () => {
    const pydantic =
      "[{'type': 'string_type', 'loc': ('body', 'messages', 1, 'content'), 'msg': 'Input should be a valid string', 'input': None}]";
    stack().llm.script({ status: 500, error: pydantic }, { status: 500, error: pydantic });
    const res = await send(stack(), sendBody({ user_id: 'shape', session_key: 'user:shape:lead' }));
    expect(res.statusCode).toBe(502);
    expect(res.json().error).toMatch(
      /^model server at http:\/\/127\.0\.0\.1:\d+ answered 500: .*Input should be a valid string/,
    );
    expect(
      stack()
        .llm.chatRequests()
        .map((r) => r.model),
    ).toEqual([PRIMARY, PRIMARY]);
  });

  it('an answer with neither text nor tool calls is retried, never posted, and the next answer is', async () => {
    stack().llm.script(
      { toolCalls: [{ id: 'call_e', name: 'add_numbers', arguments: { a: 1, b: 1 } }] },
      { text: '' },
      { text: 'The real answer.' },
    );
    const res = await send(stack(), sendBody({ user_id: 'empty', session_key: 'user:empty:lead' }));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ response: 'The real answer.', iterations: 2, posted: true });
    expect(stack().llm.chatRequests()).toHaveLength(3);
    expect((await stack().backend.inspect('empty')).messages.map((m) => m.content)).toEqual([
      'The real answer.',
    ]);
  });

  it('when the primary model fails all its attempts, the fallback model answers and is reported', async () => {
    const failures = Array.from({ length: 5 }, () => ({ status: 500, onlyForModel: PRIMARY }));
    stack().llm.script(...failures, { text: 'From the fallback.', onlyForModel: FALLBACK });
    const res = await send(stack(), sendBody({ user_id: 'fallback', session_key: 'user:fallback:lead' }));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'ok', response: 'From the fallback.', model: FALLBACK });
    expect(
      stack()
        .llm.chatRequests()
        .map((r) => r.model),
    ).toEqual([PRIMARY, PRIMARY, PRIMARY, PRIMARY, PRIMARY, FALLBACK]);
    expect(stack().llm.remaining()).toBe(0);
    expect((await stack().backend.inspect('fallback')).messages.map((m) => m.content)).toEqual([
      'From the fallback.',
    ]);
  });

  it('when the fallback fails too, the turn fails with the fallback error as a 502', async () => {
    const primary = Array.from({ length: 5 }, () => ({ status: 503, onlyForModel: PRIMARY }));
    stack().llm.script(...primary, { status: 404, error: 'FALLBACK-MODEL-MISSING', onlyForModel: FALLBACK });
    const res = await send(stack(), sendBody({ user_id: 'bothfail', session_key: 'user:bothfail:lead' }));
    expect(res.statusCode).toBe(502);
    expect(res.json().error).toContain('FALLBACK-MODEL-MISSING');
    expect(stack().llm.chatRequests()).toHaveLength(6);
    expect((await stack().backend.inspect('bothfail')).messages).toEqual([]);
  });
});
