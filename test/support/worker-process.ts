/**
 * The real worker entry (src/worker/main.ts) as a child process on a stack's task queue: for tests
 * where the worker must be a separate process (signals, another host's view through Temporal).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '../../scripts/lib/temporal-dev-server';
import { TEST_JWT_SECRET, TEST_OPENAI_KEY, type Stack } from './stack';

// tsx as a loader of the worker's own process (the tsx CLI would fork a second node process, which
// a kill of the CLI could leave behind polling the dev server).
const TSX_LOADER = pathToFileURL(path.join(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const READY = /clasper worker polling task queue/;
/** The worker bundles the workflow code at start; on a busy machine that takes a while. */
export const WORKER_START_TIMEOUT_MS = 150_000;

export interface WorkerProcess {
  child: ChildProcess;
  output(): string;
  /** Sends the signal and resolves when the process has exited (SIGKILL after 20 s). */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function startWorkerProcess(stack: Stack): Promise<WorkerProcess> {
  let output = '';
  const child = spawn(process.execPath, ['--import', TSX_LOADER, 'src/worker/main.ts'], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      TEMPORAL_ADDRESS: process.env.CLASPER_TEST_TEMPORAL_ADDRESS ?? '',
      CLASPER_TASK_QUEUE: stack.taskQueue,
      BACKEND_URL: stack.backend.url,
      OPENAI_BASE_URL: stack.llm.url,
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
  process.once('exit', () => child.kill('SIGKILL'));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const onData = (d: Buffer) => {
    output += d.toString();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(new Error(`worker not ready after ${WORKER_START_TIMEOUT_MS} ms:\n${output.slice(-3000)}`)),
      WORKER_START_TIMEOUT_MS,
    );
    const poll = setInterval(() => {
      if (READY.test(output)) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve();
      }
    }, 50);
    void exited.then(({ code, signal }) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(
        new Error(
          `worker exited before it was ready (code ${code}, signal ${signal}):\n${output.slice(-3000)}`,
        ),
      );
    });
  });
  return {
    child,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}
