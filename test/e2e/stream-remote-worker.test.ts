/**
 * Streaming when the API and the worker are different processes (as deployed: often different
 * hosts). The stack runs without a worker; the real worker entry (src/worker/main.ts) runs as a
 * child process on the stack's task queue, so everything the stream shows reached the API through
 * Temporal (the `progress` query and the result), never through shared memory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '../../scripts/lib/temporal-dev-server';
import { sendBody, TEST_JWT_SECRET, TEST_OPENAI_KEY } from '../support/stack';
import { collectSse, listenLocally, postJson } from '../support/sse';
import { useStack } from './helpers';

// tsx as a loader of the worker's own process (the tsx CLI would fork a second node process, which
// a kill of the CLI could leave behind polling the dev server).
const TSX_LOADER = pathToFileURL(path.join(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const READY = /clasper worker polling task queue/;
// The worker bundles the workflow code at start; on a busy machine that takes a while.
const WORKER_START_TIMEOUT_MS = 150_000;

const ANSWER = 'Two tools ran in the worker process. The API only read their progress through Temporal.';

describe('streaming with the worker in another process', () => {
  const stack = useStack({ worker: false });
  let child: ChildProcess | undefined;
  let output = '';
  let base = '';

  beforeAll(async () => {
    const s = stack();
    base = await listenLocally(s.api);
    child = spawn(process.execPath, ['--import', TSX_LOADER, 'src/worker/main.ts'], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        TEMPORAL_ADDRESS: process.env.CLASPER_TEST_TEMPORAL_ADDRESS ?? '',
        CLASPER_TASK_QUEUE: s.taskQueue,
        BACKEND_URL: s.backend.url,
        OPENAI_BASE_URL: s.llm.url,
        OPENAI_API_KEY: TEST_OPENAI_KEY,
        AGENT_JWT_SECRET: TEST_JWT_SECRET,
        // No INTERNAL_API_TOKEN: with it the worker's start-up would point the shared dev server's
        // `clasper-dispatcher` schedule at this test's task queue. Turns never use it.
        CLASPER_WORKSPACE: path.join(REPO_ROOT, 'workspace'),
        CLASPER_WORKER_METRICS_PORT: '0',
        CLASPER_AGENTS: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const started = child;
    process.once('exit', () => started.kill('SIGKILL'));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`worker not ready after ${WORKER_START_TIMEOUT_MS} ms:\n${output.slice(-3000)}`)),
        WORKER_START_TIMEOUT_MS,
      );
      const onData = (d: Buffer) => {
        output += d.toString();
        if (READY.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      };
      started.stdout?.on('data', onData);
      started.stderr?.on('data', onData);
      started.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`worker exited before it was ready (code ${code}, signal ${signal}):\n${output.slice(-3000)}`));
      });
    });
  }, WORKER_START_TIMEOUT_MS + 10_000);

  afterAll(async () => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill('SIGTERM'); // drains in-flight work (none by now) and exits
    const timer = setTimeout(() => running.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
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
    expect(kinds.slice(1, 3)).toEqual(['tool', 'tool']);
    expect(kinds.slice(3, -1).every((k) => k === 'chunk')).toBe(true);
    expect(kinds.at(-1)).toBe('done');

    const tools = events.filter((e) => e.event === 'tool').map((e) => e.data);
    expect(tools).toEqual(
      expect.arrayContaining([
        { type: 'tool', name: 'add_numbers', ok: true, step: 1 },
        { type: 'tool', name: 'launch_rockets', ok: false, error: expect.stringContaining("unknown tool 'launch_rockets'"), step: 1 },
      ]),
    );
    const text = events.filter((e) => e.event === 'chunk').map((e) => e.data.data as string).join('');
    expect(text).toBe(ANSWER);
    expect(events.filter((e) => e.event === 'chunk').map((e) => e.data.data)).toEqual([
      'Two tools ran in the worker process. ',
      'The API only read their progress through Temporal.',
    ]);
    const done = events.at(-1)?.data;
    expect(done).toMatchObject({ type: 'done', status: 'ok', response: ANSWER, iterations: 2, posted: true });

    const data = await stack().backend.inspect(user);
    expect(data.messages).toEqual([expect.objectContaining({ id: done.message_id, content: ANSWER })]);
  });
});
