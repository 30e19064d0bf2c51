/**
 * Turn-level and write-level idempotency (docs/architecture.md, "Idempotency keys"): the same
 * Idempotency-Key runs one turn whether the repeats arrive while it runs or after it finished, keys
 * are scoped per user, and a reply whose response was lost is retried with its key and stored once.
 */
import { sendBody } from '../support/stack';
import { createTask, eventually, send, useStack } from './helpers';

// Long enough for a 300 ms turn through its session on a loaded box, short enough to outlive.
const SEND_TIMEOUT_SEC = 5;

describe('idempotency', () => {
  const stack = useStack({ env: { CLASPER_SEND_TIMEOUT_SEC: String(SEND_TIMEOUT_SEC) } });

  it('the same Idempotency-Key three times runs one turn and posts one message', async () => {
    const user = 'idem';
    const body = sendBody({ user_id: user, session_key: `user:${user}:lead`, task_title: 'Idem thread' });
    const headers = { 'idempotency-key': 'order-123' };
    stack().llm.script({ text: 'Only once.', delayMs: 300 });

    // Two while the turn runs, one after it finished (with another message: the key decides).
    const [a, b] = await Promise.all([send(stack(), body, { headers }), send(stack(), body, { headers })]);
    const c = await send(stack(), { ...body, message: 'a different message' }, { headers });
    for (const res of [a, b, c]) expect(res.statusCode).toBe(200);
    const turnIds = [a, b, c].map((r) => r.json().turn_id);
    expect(turnIds).toEqual([
      `agent-turn/${user}/order-123`,
      `agent-turn/${user}/order-123`,
      `agent-turn/${user}/order-123`,
    ]);
    expect(c.json()).toEqual(a.json());
    expect(c.json().response).toBe('Only once.');

    expect(stack().llm.chatRequests()).toHaveLength(1);
    const data = await stack().backend.inspect(user);
    expect(data.messages.map((m) => m.content)).toEqual(['Only once.']);
    expect(data.tasks).toHaveLength(1);
  });

  it('the same key from another user is another turn', async () => {
    const headers = { 'idempotency-key': 'shared-key-1' };
    stack().llm.script({ text: 'For first.' }, { text: 'For second.' });
    const first = await send(stack(), sendBody({ user_id: 'first', session_key: 'user:first:lead' }), {
      headers,
    });
    const second = await send(stack(), sendBody({ user_id: 'second', session_key: 'user:second:lead' }), {
      headers,
    });
    expect([first.statusCode, second.statusCode]).toEqual([200, 200]);
    expect(first.json().turn_id).toBe('agent-turn/first/shared-key-1');
    expect(second.json().turn_id).toBe('agent-turn/second/shared-key-1');
    expect(second.json().response).toBe('For second.');
    expect((await stack().backend.inspect('first')).messages.map((m) => m.content)).toEqual(['For first.']);
    expect((await stack().backend.inspect('second')).messages.map((m) => m.content)).toEqual(['For second.']);
  });

  it('a repeated key of a failed turn answers with that failure instead of running again', async () => {
    const headers = { 'idempotency-key': 'failing-1' };
    stack().llm.script({ status: 400, error: 'BAD-REQUEST-ONCE' });
    const body = sendBody({ user_id: 'failer', session_key: 'user:failer:lead' });
    const first = await send(stack(), body, { headers });
    const again = await send(stack(), body, { headers });
    expect([first.statusCode, again.statusCode]).toEqual([502, 502]);
    expect(again.json()).toEqual(first.json());
    expect(first.json().error).toContain('BAD-REQUEST-ONCE');
    expect(stack().llm.chatRequests()).toHaveLength(1);
  });

  it('a send that outlives CLASPER_SEND_TIMEOUT_SEC answers 202; repeating it with its key returns the result', async () => {
    const headers = { 'idempotency-key': 'slow-1' };
    stack().llm.script({ text: 'Slow but sure.', delayMs: SEND_TIMEOUT_SEC * 1000 + 300 });
    const body = sendBody({ user_id: 'slow', session_key: 'user:slow:lead' });
    const started = Date.now();
    const first = await send(stack(), body, { headers });
    expect(first.statusCode).toBe(202);
    expect(Date.now() - started).toBeGreaterThanOrEqual(SEND_TIMEOUT_SEC * 1000 - 100);
    expect(first.json()).toMatchObject({ status: 'accepted', turn_id: 'agent-turn/slow/slow-1' });

    // The turn's own time is the model's 5.3 s plus a few steps; the bound is generous because CI
    // runs this beside other suites on two cores, and what matters is that the turn completes.
    let last: unknown;
    await eventually(async () => {
      const poll = await stack().api.inject({ method: 'GET', url: first.json().status_url });
      last = poll.json();
      return poll.json().status === 'completed' ? true : undefined;
    }, 30_000).catch((err: Error) => {
      throw new Error(`${err.message}; last status: ${JSON.stringify(last)}`);
    });
    const again = await send(stack(), body, { headers });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ turn_id: 'agent-turn/slow/slow-1', response: 'Slow but sure.' });
    expect(stack().llm.chatRequests()).toHaveLength(1);
    expect((await stack().backend.inspect('slow')).messages).toHaveLength(1);
  });

  it('a reply whose response is lost is retried with its key and stored once', async () => {
    const user = 'lostreply';
    const taskId = await createTask(stack(), user, 'Lost reply thread');
    const fault = await stack().backend.internal('POST', '/api/mission-control/_faults', {
      rules: [{ method: 'POST', path: '/api/mission-control/messages', mode: 'lose_response', times: 1 }],
    });
    expect(fault.status).toBe(200);
    stack().llm.script({ text: 'Stored once.' });
    const res = await send(
      stack(),
      sendBody({ user_id: user, session_key: `user:${user}:lead`, task_id: taskId }),
    );
    expect(res.statusCode).toBe(200);
    const state = (await (await stack().backend.internal('GET', '/api/mission-control/_faults')).json()) as {
      rules: unknown[];
    };
    expect(state.rules).toEqual([]);
    const messages = (await stack().backend.inspect(user)).messages;
    expect(messages).toEqual([
      expect.objectContaining({ id: res.json().message_id, content: 'Stored once.' }),
    ]);
  });
});
