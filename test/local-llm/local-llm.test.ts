/**
 * `make test-local-llm` only (not part of `make test`): the whole system against a REAL model,
 * llama.cpp's server running SmolLM2-135M-Instruct on the CPU (scripts/with-local-llm.sh starts it
 * and sets CLASPER_LOCAL_LLM_URL). A 135M model's judgement is not what is tested: each turn
 * asserts the durable loop's mechanics — the turn completes, a reply is posted, a streamed turn's
 * chunks join to its response, and in a turn offered tools, any tool call the model makes runs
 * and its result goes back to the model before the answer.
 */
import { sendBody, startStack, type Stack } from '../support/stack';
import { collectSse, listenLocally, postJson } from '../support/sse';

const url = process.env.CLASPER_LOCAL_LLM_URL;
if (!url) throw new Error('CLASPER_LOCAL_LLM_URL is not set: run this through `make test-local-llm`');

jest.setTimeout(15 * 60_000);

let stack: Stack;
beforeAll(async () => {
  // The env set by scripts/with-local-llm.sh (OPENAI_BASE_URL, LLM_*) replaces the fake's.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      (e): e is [string, string] => /^(OPENAI_|LLM_)/.test(e[0]) && typeof e[1] === 'string',
    ),
  );
  stack = await startStack({ env: { ...env, CLASPER_SEND_TIMEOUT_SEC: '900' } });
});
afterAll(async () => {
  await stack?.stop();
});

async function send(body: Record<string, unknown>) {
  const res = await stack.api.inject({ method: 'POST', url: '/api/agents/send', payload: body });
  expect(res.statusCode).toBe(200);
  return res.json();
}

it('a plain turn: the real model answers and the reply is posted', async () => {
  const user = 'local-plain';
  const body = await send(
    sendBody({
      user_id: user,
      session_key: `user:${user}:lead`,
      message: 'Say hello in one short sentence.',
    }),
  );
  expect(body).toMatchObject({ status: 'ok', model: 'smollm2-135m', posted: true });
  expect(String(body.response).trim().length).toBeGreaterThan(0);
  expect(body.cost).toBeNull();
  const messages = (await stack.backend.inspect(user)).messages;
  expect(messages.map((m) => m.content)).toEqual([body.response]);
});

it('a streamed turn: chunks arrive and join to the response', async () => {
  const user = 'local-stream';
  const base = await listenLocally(stack.api);
  const events = await collectSse(
    await postJson(
      `${base}/api/agents/stream`,
      sendBody({ user_id: user, session_key: `user:${user}:lead`, message: 'Name one colour.' }),
    ),
  );
  const done = events.find((e) => e.event === 'done');
  expect(done).toBeDefined();
  const chunks = events.filter((e) => e.event === 'chunk').map((e) => String(e.data.data ?? ''));
  expect(chunks.length).toBeGreaterThan(0);
  expect(chunks.join('').trim().length).toBeGreaterThan(0);
});

it('a turn offered tools completes its durable loop: every tool call runs and is answered', async () => {
  const user = 'local-tools';
  const body = await send(
    sendBody({
      user_id: user,
      session_key: `user:${user}:lead`,
      message: 'Create a task called "Buy milk" using the create_task tool.',
    }),
  );
  expect(body.status).toMatch(/^(ok|max_iterations)$/);
  expect(body.iterations).toBeGreaterThanOrEqual(1);
  // Whatever the model chose, each tool call it made was run by the loop (a result for every call).
  for (const call of body.tool_calls ?? []) expect(call).toMatchObject({ name: expect.any(String) });
  const requests = (body.tool_calls ?? []).length;
  if (requests > 0) expect(body.iterations).toBeGreaterThanOrEqual(2);
  // A finished turn posts a reply in words (the server's empty-answer gap is closed by chatml-tools).
  if (body.status === 'ok') expect(String(body.response).trim().length).toBeGreaterThan(0);
});

it("make dev-local's demo message: the turn ends in the model's own words within one tool round, and the reply is posted", async () => {
  // The message `make dev` prints under "Try:". The local server asks for words after one round
  // of tool calls (LOCAL_LLM_TOOL_ROUNDS, scripts/local_llm_server.py), so the turn ends with the
  // model's own answer, not at the runtime's step cap; what it says is the model's judgement.
  const user = 'local-demo';
  const body = await send(
    sendBody({
      user_id: user,
      session_key: `user:${user}:lead`,
      task_title: 'Launch plan',
      message: 'Create a task called "Draft press release" and plan the launch',
    }),
  );
  expect(body).toMatchObject({ status: 'ok', capped: false, posted: true, model: 'smollm2-135m' });
  expect(body.iterations).toBeLessThanOrEqual(2);
  expect(String(body.response).trim().length).toBeGreaterThan(0);
  const messages = (await stack.backend.inspect(user)).messages;
  expect(messages.map((m) => m.content)).toEqual([body.response]);
});
