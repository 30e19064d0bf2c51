/**
 * LLM_STREAM_WITH_TOOLS=false (README, "Model servers"): against a server that refuses a streamed
 * request offering tools (llama-cpp-python with a function-calling chat format; the fake plays it),
 * a streamed turn asks each step that offers tools whole, and the stream still shows the answer —
 * when the step settles — joined exactly to the response, after the tool events.
 */
import { sendBody } from '../support/stack';
import { collectSse, listenLocally, postJson } from '../support/sse';
import { useStack } from './helpers';

const ANSWER = 'Two and forty make 42; the backend tool said so.';

describe('a streamed turn on a server that cannot stream with tools', () => {
  const stack = useStack({ env: { LLM_STREAM_WITH_TOOLS: 'false' }, modelRejectsStreamedTools: true });

  it('runs its tool round and streams the answer when each step settles', async () => {
    const base = await listenLocally(stack().api);
    const user = 'no-stream-tools';
    stack().llm.script(
      { toolCalls: [{ id: 'call_add', name: 'add_numbers', arguments: { a: 2, b: 40 } }] },
      { text: ANSWER },
    );
    const events = await collectSse(
      await postJson(
        `${base}/api/agents/stream`,
        sendBody({ user_id: user, session_key: `user:${user}:lead` }),
      ),
    );
    const done = events.find((e) => e.event === 'done');
    expect(done?.data).toMatchObject({ status: 'ok', response: ANSWER, iterations: 2 });
    expect(events.filter((e) => e.event === 'tool').map((e) => e.data.status)).toEqual([
      'started',
      'finished',
    ]);
    const chunks = events.filter((e) => e.event === 'chunk');
    expect(chunks.map((e) => e.data.data).join('')).toBe(ANSWER);
    for (const c of chunks) expect(c.data).toMatchObject({ step: 2 });
    // Both steps offered tools, so neither was streamed from the server (which would have refused).
    expect(
      stack()
        .llm.chatRequests()
        .map((r) => [r.stream, (r.body?.tools ?? []).length > 0]),
    ).toEqual([
      [false, true],
      [false, true],
    ]);
  });
});
