/**
 * The real entry points (src/worker/main.ts, src/api/main.ts, or their compiled dist/ versions) as
 * child processes on a stack's task queue: for tests where a process must be separate (signals,
 * another host's view through Temporal, the production artefacts, a secured connection).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { freePort, REPO_ROOT } from '../../scripts/lib/temporal-dev-server';
import { TEST_JWT_SECRET, TEST_OPENAI_KEY, type Stack } from './stack';

// tsx as a loader of the worker's own process (the tsx CLI would fork a second node process, which
// a kill of the CLI could leave behind polling the dev server).
const TSX_LOADER = pathToFileURL(path.join(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const READY = /clasper worker polling task queue/;
/** The worker bundles the workflow code at start; on a busy machine that takes a while. */
export const WORKER_START_TIMEOUT_MS = 150_000;

export interface ClasperProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends the signal and resolves when the process has exited (SIGKILL after 20 s). */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}
export type WorkerProcess = ClasperProcess;

export interface ProcessOptions {
  /** Run the compiled entry point under dist/ (`npm run build`) instead of the source through tsx. */
  built?: boolean;
  /** Added to (and overriding) the stack's environment. */
  env?: Record<string, string>;
}

/** The environment a stack's processes share: its backend, fake model, task queue, test Temporal. */
function stackEnv(stack: Stack, extra: Record<string, string> = {}): Record<string, string> {
  return {
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
    ...extra,
  };
}

/** Spawns `worker` or `api` and collects its output; does not wait for it to be ready. */
export function spawnClasper(
  stack: Stack,
  which: 'worker' | 'api',
  opts: ProcessOptions = {},
): ClasperProcess {
  let output = '';
  const args = opts.built
    ? [path.join('dist/src', which, 'main.js')]
    : ['--import', TSX_LOADER, path.join('src', which, 'main.ts')];
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: stackEnv(stack, opts.env),
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
  return {
    child,
    output: () => output,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

/** Resolves once `ready()` holds; rejects when the process exits first or the time is up. */
async function untilReady(proc: ClasperProcess, what: string, ready: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WORKER_START_TIMEOUT_MS;
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void proc.exited.then((r) => (exited = r));
  for (;;) {
    if (exited)
      throw new Error(
        `${what} exited before it was ready (code ${exited.code}, signal ${exited.signal}):\n${proc.output().slice(-3000)}`,
      );
    if (await ready()) return;
    if (Date.now() > deadline)
      throw new Error(
        `${what} not ready after ${WORKER_START_TIMEOUT_MS} ms:\n${proc.output().slice(-3000)}`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startWorkerProcess(stack: Stack, opts: ProcessOptions = {}): Promise<WorkerProcess> {
  const proc = spawnClasper(stack, 'worker', opts);
  await untilReady(proc, 'worker', async () => READY.test(proc.output()));
  return proc;
}

/** The API entry on a free loopback port; ready when GET /health answers. */
export async function startApiProcess(
  stack: Stack,
  opts: ProcessOptions = {},
): Promise<ClasperProcess & { url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = spawnClasper(stack, 'api', {
    ...opts,
    env: { CLASPER_PORT: String(port), CLASPER_HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...opts.env },
  });
  await untilReady(proc, 'api', async () => {
    try {
      return (await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) })).ok;
    } catch {
      return false;
    }
  });
  return { ...proc, url };
}

const BUILT = ['dist/src/worker/main.js', 'dist/src/api/main.js', 'dist/workflow-bundle.js'];

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile())
      newest = Math.max(newest, fs.statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/**
 * The production artefacts, as `make test` builds them before jest: built here only when missing
 * or older than src/ (running one test file by hand). A lock keeps two jest workers from building
 * at once.
 */
export function ensureBuilt(): void {
  const stale = () => {
    const built = BUILT.map((f) => path.join(REPO_ROOT, f));
    if (!built.every((f) => fs.existsSync(f))) return true;
    const oldest = Math.min(...built.map((f) => fs.statSync(f).mtimeMs));
    return newestMtime(path.join(REPO_ROOT, 'src')) > oldest;
  };
  const lock = path.join(REPO_ROOT, '.data/build.lock');
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  for (;;) {
    if (!stale()) return;
    try {
      fs.mkdirSync(lock);
    } catch {
      // Another jest worker is building; a lock older than any build is a killed run's leftover.
      if (Date.now() - fs.statSync(lock).mtimeMs > 5 * 60_000) fs.rmdirSync(lock);
      else execFileSync('sleep', ['1']);
      continue;
    }
    try {
      if (stale()) {
        execFileSync('npm', ['run', '-s', 'build'], { cwd: REPO_ROOT, stdio: 'pipe' });
        execFileSync('npm', ['run', '-s', 'build:workflows'], { cwd: REPO_ROOT, stdio: 'pipe' });
      }
    } finally {
      fs.rmdirSync(lock);
    }
  }
}
