/**
 * Token streaming from the durable turn (README.md, "Streaming"), over real SSE against the real
 * dev server, with the fake model streaming slowly: text reaches the client while the model still
 * writes; a client that drops resumes with Last-Event-ID and gets exactly the rest; two clients on
 * one turn see the same events; joining is validated.
 */
import { sendBody } from '../support/stack';
import { collectSse, listenLocally, postJson, readSse, type SseEvent } from '../support/sse';
import { useStack } from './helpers';

const WORDS = Array.from({ length: 24 }, (_, i) => `word${i + 1}`);
const SLOW_ANSWER = `${WORDS.join(' ')}.`;

function chunkText(events: SseEvent[]): string {
  return events
    .filter((e) => e.event === 'chunk')
    .map((e) => e.data.data as string)
    .join('');
}

function joinUrl(base: string, turnId: string): string {
  return `${base}/api/agents/turns/${encodeURIComponent(turnId)}/stream`;
}

describe('token streaming, joining and resuming', () => {
  const stack = useStack();
  let base = '';
  beforeAll(async () => {
    base = await listenLocally(stack().api);
  });

  it('the first chunk reaches the client while the model is still writing, in batches, not per token', async () => {
    const user = 'live';
    // 25 deltas 120 ms apart: the model writes for about 3 s.
    stack().llm.script({ text: SLOW_ANSWER, chunkDelayMs: 120 });
    const res = await postJson(
      `${base}/api/agents/stream`,
      sendBody({ user_id: user, session_key: `user:${user}:lead` }),
    );
    const events: (SseEvent & { at: number })[] = [];
    for await (const e of readSse(res)) events.push({ ...e, at: Date.now() });
    const chunks = events.filter((e) => e.event === 'chunk');
    const done = events.at(-1);
    expect(done?.event).toBe('done');
    expect(chunkText(events)).toBe(SLOW_ANSWER);
    expect(done?.data.response).toBe(SLOW_ANSWER);
    // Text arrived well before the answer was complete…
    expect((done?.at ?? 0) - (chunks[0]?.at ?? Infinity)).toBeGreaterThan(1_500);
    // …in several batches, far fewer than the model's deltas.
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    expect(chunks.length).toBeLessThan(WORDS.length);
  });

  it('a client that drops after 3 events resumes with Last-Event-ID: exactly the rest, no gap, no repeat; a second client sees the same', async () => {
    const user = 'resumer';
    stack().llm.script(
      { toolCalls: [{ id: 'call_r', name: 'add_numbers', arguments: { a: 1, b: 1 } }] },
      { text: SLOW_ANSWER, chunkDelayMs: 80 },
    );
    const first = new AbortController();
    const res = await postJson(
      `${base}/api/agents/stream`,
      sendBody({ user_id: user, session_key: `user:${user}:lead` }),
      { signal: first.signal },
    );
    const frames = readSse(res);
    const before: SseEvent[] = [];
    for (let i = 0; i < 3; i++) before.push((await frames.next()).value as SseEvent);
    first.abort();
    await frames.return(undefined).catch(() => undefined);
    const turnId = before[0]?.data.turn_id as string;
    const lastId = before.at(-1)?.id as number;
    expect(before.map((e) => e.id)).toEqual([0, 1, 2]);

    // Resumed while the turn still runs, and a second client joining from the start.
    const [rest, whole] = await Promise.all([
      fetch(joinUrl(base, turnId), { headers: { 'last-event-id': String(lastId) } }).then(collectSse),
      fetch(joinUrl(base, turnId)).then(collectSse),
    ]);
    expect(rest[0]?.id).toBe(lastId + 1);
    expect([...before, ...rest]).toEqual(whole);
    expect(rest.at(-1)?.event).toBe('done');
    expect(chunkText(whole)).toBe(SLOW_ANSWER);

    // After the end: `?after=` works the same, and what is left is only `done`.
    const ended = await collectSse(await fetch(`${joinUrl(base, turnId)}?after=${whole.at(-2)?.id}`));
    expect(ended.map((e) => e.event)).toEqual(['done']);
    expect(ended[0]).toEqual(whole.at(-1));
    expect(stack().llm.chatRequests()).toHaveLength(2);
    expect((await stack().backend.inspect(user)).messages).toHaveLength(1);
  });

  it('a turn started without streaming can be joined: tools, then its answer in sentence-sized chunks', async () => {
    const user = 'joiner';
    stack().llm.script({ text: 'One sentence. And another one.' });
    const sent = await stack().api.inject({
      method: 'POST',
      url: '/api/agents/send',
      payload: sendBody({ user_id: user, session_key: `user:${user}:lead` }),
    });
    expect(sent.statusCode).toBe(200);
    const events = await collectSse(await fetch(joinUrl(base, sent.json().turn_id)));
    expect(events.map((e) => e.event)).toEqual(['start', 'chunk', 'chunk', 'done']);
    expect(events.map((e) => e.data.data).slice(1, 3)).toEqual(['One sentence. ', 'And another one.']);
    // Nothing was signalled into that turn: it did not stream.
    const history = await stack().client.workflow.getHandle(sent.json().turn_id).fetchHistory();
    expect(
      (history.events ?? []).filter(
        (e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'streamText',
      ),
    ).toEqual([]);
  });

  it('joining validates: an unknown turn is a 404, a bad offset a 400, both JSON', async () => {
    const unknown = await fetch(joinUrl(base, 'agent-turn/nobody/none'));
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: "no turn 'agent-turn/nobody/none'" });
    const notATurn = await fetch(joinUrl(base, 'some-other-workflow'));
    expect(notATurn.status).toBe(404);
    const bad = await fetch(joinUrl(base, 'agent-turn/nobody/none'), { headers: { 'last-event-id': 'abc' } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/last-event-id.*stream offset/i);
  });
});
