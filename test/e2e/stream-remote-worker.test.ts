/**
 * Streaming when the API and the worker are different processes (as deployed: often different
 * hosts). The stack runs without a worker; the real worker entry (src/worker/main.ts) runs as a
 * child process on the stack's task queue, so everything the stream shows reached the API through
 * Temporal (the `stream` query, the `streamText` signals and the result), never through shared memory.
 */
import { sendBody } from '../support/stack';
import { collectSse, listenLocally, postJson } from '../support/sse';
import { startWorkerProcess, WORKER_START_TIMEOUT_MS, type WorkerProcess } from '../support/worker-process';
import { useStack } from './helpers';

const ANSWER = 'Two tools ran in the worker process. The API only read their progress through Temporal.';

describe('streaming with the worker in another process', () => {
  const stack = useStack({ worker: false });
  let worker: WorkerProcess | undefined;
  let base = '';

  beforeAll(async () => {
    const s = stack();
    base = await listenLocally(s.api);
    worker = await startWorkerProcess(s);
  }, WORKER_START_TIMEOUT_MS + 10_000);

  afterAll(async () => {
    await worker?.stop('SIGTERM'); // drains in-flight work (none by now) and exits
  }, 30_000);

  it('tool events, chunks and done arrive in order, and the reply is posted exactly once', async () => {
    const user = 'remote';
    stack().llm.script(
      {
        toolCalls: [
          { id: 'call_1', name: 'add_numbers', arguments: { a: 1, b: 2 } },
          { id: 'call_2', name: 'launch_rockets', arguments: {} },
        ],
      },
      { text: ANSWER },
    );
    const res = await postJson(
      `${base}/api/agents/stream`,
      sendBody({ user_id: user, session_key: `user:${user}:lead`, task_title: 'Remote thread' }),
    );
    expect(res.status).toBe(200);
    const events = await collectSse(res);
    const kinds = events.map((e) => e.event);
    expect(kinds[0]).toBe('start');
    // Each call starts and finishes: four tool events, then the answer as the model wrote it.
    expect(kinds.slice(1, 5)).toEqual(['tool', 'tool', 'tool', 'tool']);
    expect(kinds.slice(5, -1).every((k) => k === 'chunk')).toBe(true);
    expect(kinds.at(-1)).toBe('done');

    const tools = events.filter((e) => e.event === 'tool' && e.data.status === 'finished').map((e) => e.data);
    expect(tools).toEqual(
      expect.arrayContaining([
        { type: 'tool', status: 'finished', call_id: 'call_1', name: 'add_numbers', ok: true, step: 1 },
        {
          type: 'tool',
          status: 'finished',
          call_id: 'call_2',
          name: 'launch_rockets',
          ok: false,
          error: expect.stringContaining("unknown tool 'launch_rockets'"),
          step: 1,
        },
      ]),
    );
    const text = events
      .filter((e) => e.event === 'chunk')
      .map((e) => e.data.data as string)
      .join('');
    expect(text).toBe(ANSWER);
    const done = events.at(-1)?.data;
    expect(done).toMatchObject({ type: 'done', status: 'ok', response: ANSWER, iterations: 2, posted: true });

    const data = await stack().backend.inspect(user);
    expect(data.messages).toEqual([expect.objectContaining({ id: done.message_id, content: ANSWER })]);
  });
});
