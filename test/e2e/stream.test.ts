/**
 * Streaming (README.md, "Streaming"): POST /api/agents/stream and send with `stream: true` run the same
 * durable turn as send, over real SSE (the API listens on a port, the test reads with fetch):
 * start → tool per finished call → the answer as chunks → done (send's body), or error. The reply
 * is posted once, and a client that leaves does not stop the turn.
 */
import { sendBody } from '../support/stack';
import { collectSse, listenLocally, postJson, readSse, type SseEvent } from '../support/sse';
import { eventually, useStack } from './helpers';

const ANSWER =
  'The sum is 42. I asked the backend tool to add two and forty, and it answered at once. ' +
  'Nothing else needed doing, so this is the whole answer — no further steps.';

function types(events: SseEvent[]): string[] {
  // Collapse runs of chunks, so the order reads start, tool, chunk, done.
  return events.map((e) => e.event).filter((t, i, all) => t !== 'chunk' || all[i - 1] !== 'chunk');
}

function chunkText(events: SseEvent[]): string {
  return events
    .filter((e) => e.event === 'chunk')
    .map((e) => e.data.data as string)
    .join('');
}

describe('streaming a turn', () => {
  const stack = useStack();
  let base = '';
  beforeAll(async () => {
    base = await listenLocally(stack().api);
  });

  it('a tool call, then the answer: start, tool, chunks that join to the response, done; the reply is posted once', async () => {
    const user = 'streamer';
    stack().llm.script(
      { toolCalls: [{ id: 'call_add', name: 'add_numbers', arguments: { a: 2, b: 40 } }] },
      { text: ANSWER },
    );
    const res = await postJson(
      `${base}/api/agents/stream`,
      sendBody({ user_id: user, session_key: `user:${user}:lead`, task_title: 'Stream thread' }),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('x-request-id')).toBeTruthy();
    const events = await collectSse(res);

    expect(types(events)).toEqual(['start', 'tool', 'tool', 'chunk', 'done']);
    const [start, started, finished] = events;
    expect(start?.data).toEqual({ type: 'start', turn_id: expect.stringMatching(/^agent-turn\/streamer\//) });
    expect(started?.data).toEqual({
      type: 'tool',
      status: 'started',
      name: 'add_numbers',
      call_id: 'call_add',
      step: 1,
    });
    expect(finished?.data).toEqual({
      type: 'tool',
      status: 'finished',
      name: 'add_numbers',
      call_id: 'call_add',
      ok: true,
      step: 1,
    });

    // Every event has its stream offset as the SSE id: start 0, then 1, 2, 3… with no gap.
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i));
    const chunks = events.filter((e) => e.event === 'chunk');
    expect(chunks.length).toBeGreaterThan(0);
    for (const c of chunks) expect(c.data).toMatchObject({ type: 'chunk', step: 2 });
    expect(chunkText(events)).toBe(ANSWER);

    const done = events.at(-1)?.data;
    expect(done).toMatchObject({
      type: 'done',
      status: 'ok',
      turn_id: start?.data.turn_id,
      response: ANSWER,
      tool_calls: [{ name: 'add_numbers', ok: true }],
      iterations: 2,
      posted: true,
      usage: {
        prompt_tokens: expect.any(Number),
        completion_tokens: expect.any(Number),
        total_tokens: expect.any(Number),
      },
    });
    expect(done).not.toHaveProperty('workspace_hash'); // the same fields as send's 200 body

    const data = await stack().backend.inspect(user);
    expect(data.messages).toEqual([
      expect.objectContaining({ task_id: done.task_id, content: ANSWER, actor_type: 'agent' }),
    ]);
    expect(data.messages[0]?.id).toBe(done.message_id);
  });

  it('send with stream: true streams the same way', async () => {
    const user = 'sendstream';
    stack().llm.script({ text: 'Streamed through send.' });
    const res = await postJson(
      `${base}/api/agents/send`,
      sendBody({ user_id: user, session_key: `user:${user}:lead`, stream: true }),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = await collectSse(res);
    expect(types(events)).toEqual(['start', 'chunk', 'done']);
    expect(chunkText(events)).toBe('Streamed through send.');
    expect(events.at(-1)?.data).toMatchObject({
      type: 'done',
      response: 'Streamed through send.',
      tool_calls: [],
    });
    expect((await stack().backend.inspect(user)).messages.map((m) => m.content)).toEqual([
      'Streamed through send.',
    ]);
  });

  it('the Idempotency-Key is honoured: a repeat streams the same turn without running it again', async () => {
    const user = 'streamidem';
    const body = sendBody({ user_id: user, session_key: `user:${user}:lead` });
    const headers = { 'idempotency-key': 'stream-key-1' };
    stack().llm.script({ text: 'Only once, streamed.' });
    const first = await collectSse(await postJson(`${base}/api/agents/stream`, body, { headers }));
    const again = await collectSse(await postJson(`${base}/api/agents/stream`, body, { headers }));
    expect(first[0]?.data.turn_id).toBe(`agent-turn/${user}/stream-key-1`);
    expect(again[0]?.data.turn_id).toBe(`agent-turn/${user}/stream-key-1`);
    expect(chunkText(again)).toBe('Only once, streamed.');
    expect(again.at(-1)?.data).toEqual(first.at(-1)?.data);
    expect(stack().llm.chatRequests()).toHaveLength(1);
    expect((await stack().backend.inspect(user)).messages).toHaveLength(1);
  });

  it('a turn the model provider rejects ends the stream with an error event carrying the cause', async () => {
    const user = 'streamfail';
    stack().llm.script({ status: 400, error: "Invalid value for 'messages': PROVIDER-SAYS-NO" });
    const res = await postJson(
      `${base}/api/agents/stream`,
      sendBody({ user_id: user, session_key: `user:${user}:lead` }),
    );
    expect(res.status).toBe(200);
    const events = await collectSse(res);
    expect(types(events)).toEqual(['start', 'error']);
    expect(events[1]?.data).toEqual({
      type: 'error',
      error: expect.stringContaining('PROVIDER-SAYS-NO'),
      turn_id: events[0]?.data.turn_id,
    });
    expect((await stack().backend.inspect(user)).messages).toEqual([]);
  });

  it('bad input is a JSON 400 before any stream opens', async () => {
    const mismatch = await postJson(
      `${base}/api/agents/stream`,
      sendBody({ user_id: 'alice', session_key: 'user:bob:lead' }),
    );
    expect(mismatch.status).toBe(400);
    expect(mismatch.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await mismatch.json()).toEqual({ error: 'user_id does not match session_key' });

    const empty = await postJson(`${base}/api/agents/stream`, sendBody({ message: '' }));
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as { error: string }).error).toMatch(/^invalid request: body\.message/);
    expect(stack().llm.chatRequests()).toHaveLength(0);
  });

  it('a client that disconnects after start leaves the turn running: it completes and posts its reply', async () => {
    const user = 'leaver';
    stack().llm.script({ text: 'Answered after the client left.', delayMs: 1_500 });
    const controller = new AbortController();
    const res = await postJson(
      `${base}/api/agents/stream`,
      sendBody({ user_id: user, session_key: `user:${user}:lead` }),
      {
        signal: controller.signal,
      },
    );
    const frames = readSse(res);
    const start = await frames.next();
    expect(start.value).toMatchObject({ event: 'start' });
    const turnId = (start.value as SseEvent).data.turn_id as string;
    controller.abort();
    await frames.return(undefined).catch(() => undefined);

    const status = await eventually(
      async () => {
        const poll = await stack().api.inject({
          method: 'GET',
          url: `/api/agents/turns/${encodeURIComponent(turnId)}`,
        });
        const json = poll.json();
        return json.status === 'running' ? undefined : json;
      },
      45_000,
      250,
    );
    expect(status).toMatchObject({
      status: 'completed',
      result: { response: 'Answered after the client left.', posted: true },
    });
    expect((await stack().backend.inspect(user)).messages.map((m) => m.content)).toEqual([
      'Answered after the client left.',
    ]);
  });
});
