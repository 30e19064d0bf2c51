/**
 * The system under test, started once per bench run: a dedicated Temporal dev server (its own
 * port, SQLite file under bench/.out/), the reference Mission Control backend and the bench model
 * in this process, the workflow bundle built once, and on demand worker processes and API
 * processes on a task queue of the scenario's choosing. Everything listens on 127.0.0.1 only.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Client, Connection } from '@temporalio/client';
import { bundleClasperWorkflows } from '../../src/worker/workflow-bundle';
import { loadConfig, type Config } from '../../src/config';
import { buildMissionControlLite } from '../../examples/mission-control-lite/server';
import { freePort, REPO_ROOT, type DevServer } from '../../scripts/lib/temporal-dev-server';
import { spawnTs, waitForHttp, waitForMessage, type Child } from './children';
import { startBenchModel, type BenchModel } from './fake-model';
import { SERVER_PROFILE } from './profiles';
import { startBenchServer } from './temporal-server';

export const BENCH_JWT_SECRET = 'bench-agent-jwt-secret-0123456789abcdef';
export const BENCH_INTERNAL_TOKEN = 'bench-internal-token';
const BENCH_OPENAI_KEY = 'sk-bench-fake';

export interface SystemOptions {
  outDir: string;
  log: (line: string) => void;
  /** Reuse a running Temporal (the jest smoke test passes the global dev server) instead of starting one. */
  temporalAddress?: string;
  /** Reuse a prebuilt workflow bundle instead of building or reusing bench/.out/workflow-bundle.js. */
  workflowBundlePath?: string;
}

export interface WorkerOptions {
  taskQueue: string;
  /** Another workflow bundle (the tuning probes); default: the product's workflows. */
  bundlePath?: string;
  /** JSON-serialisable WorkerOptions (a tuning profile). */
  tuning?: Record<string, unknown>;
  env?: Record<string, string>;
  /** Extra node flags (the profiler's `--cpu-prof`, which NODE_OPTIONS does not accept). */
  nodeArgs?: string[];
}

export interface ApiProcess extends Child {
  url: string;
}

export interface BenchSystem {
  temporalAddress: string;
  /** The dev server's pid when this bench started it (for its CPU and RSS). */
  temporalPid?: number;
  backendUrl: string;
  backend: FastifyInstance;
  model: BenchModel;
  client: Client;
  bundlePath: string;
  /** The tuning probes' bundle (bench/workflows), built on first use. */
  probeBundlePath(): Promise<string>;
  /** Config as every process of the system sees it, for in-process use (the baseline). */
  config(taskQueue: string, extra?: Record<string, string>): Config;
  startWorker(opts: WorkerOptions): Promise<Child>;
  startApi(opts: { taskQueue: string; env?: Record<string, string> }): Promise<ApiProcess>;
  /** Stops every worker and API started so far (scenarios call this when they are done). */
  stopChildren(): Promise<void>;
  stop(): Promise<void>;
}

export async function startSystem(opts: SystemOptions): Promise<BenchSystem> {
  fs.mkdirSync(opts.outDir, { recursive: true });
  const cleanups: (() => Promise<unknown>)[] = [];
  const children: Child[] = [];
  const stopChildren = async () => {
    const list = children.splice(0);
    await Promise.all(list.map((c) => c.stop()));
  };
  const stop = async () => {
    await stopChildren();
    for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
  };
  try {
    let temporal: DevServer | undefined;
    let temporalAddress = opts.temporalAddress;
    if (!temporalAddress) {
      const db = path.join(opts.outDir, 'temporal.db');
      for (const f of [db, `${db}-wal`, `${db}-shm`]) fs.rmSync(f, { force: true });
      opts.log(
        `starting Temporal dev server (SQLite ${path.relative(REPO_ROOT, db)}, ${SERVER_PROFILE.name})`,
      );
      temporal = await startBenchServer({ dbFilename: db, profile: SERVER_PROFILE });
      cleanups.push(() => (temporal as DevServer).stop());
      temporalAddress = temporal.address;
    }
    const bundlePath =
      opts.workflowBundlePath ??
      (await ensureBundle(
        path.join(REPO_ROOT, 'src/workflows'),
        path.join(opts.outDir, 'workflow-bundle.js'),
        opts.log,
      ));

    const backend = await buildMissionControlLite({
      jwtSecret: BENCH_JWT_SECRET,
      internalToken: BENCH_INTERNAL_TOKEN,
    });
    await backend.listen({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => backend.close());
    const addr = backend.server.address();
    const backendUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;

    const model = await startBenchModel();
    cleanups.push(() => model.close());

    const connection = await Connection.connect({ address: temporalAddress });
    cleanups.push(() => connection.close());
    const client = new Client({ connection, namespace: 'default' });

    const workspace = path.join(REPO_ROOT, 'workspace');
    const baseEnv = (taskQueue: string, extra: Record<string, string> = {}): Record<string, string> => ({
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      TEMPORAL_ADDRESS: temporalAddress as string,
      CLASPER_TASK_QUEUE: taskQueue,
      BACKEND_URL: backendUrl,
      AGENT_JWT_SECRET: BENCH_JWT_SECRET,
      INTERNAL_API_TOKEN: BENCH_INTERNAL_TOKEN,
      OPENAI_BASE_URL: model.url,
      OPENAI_API_KEY: BENCH_OPENAI_KEY,
      CLASPER_WORKSPACE: workspace,
      LOG_LEVEL: 'warn',
      // The bench is the only client and sends thousands of turns per user: no per-user rate limit.
      CLASPER_RATE_LIMIT_PER_MINUTE: '0',
      // …and every turn comes from 127.0.0.1, one caller: no per-caller limit either.
      CLASPER_RATE_LIMIT_PER_CALLER_PER_MINUTE: '0',
      // Two workers on one machine must not both bind the Prometheus port; the bench reads /proc.
      CLASPER_WORKER_METRICS_PORT: '0',
      // The load spreads over 8 users = 8 sessions: with sessions on, a user's turns would queue
      // behind each other and the figures would measure the queue, not the turn. The sessions
      // scenario turns them on to measure what the layer costs.
      CLASPER_SESSIONS: 'false',
      ...extra,
    });

    return {
      temporalAddress,
      temporalPid: temporal?.process.pid,
      backendUrl,
      backend,
      model,
      client,
      bundlePath,
      probeBundlePath: () =>
        ensureBundle(
          path.join(REPO_ROOT, 'bench/workflows'),
          path.join(opts.outDir, 'probe-bundle.js'),
          opts.log,
        ),
      config: (taskQueue, extra) => loadConfig(baseEnv(taskQueue, extra)),
      async startWorker(w) {
        const child = spawnTs(
          `worker ${children.length + 1}`,
          'bench/lib/worker-entry.ts',
          {
            ...baseEnv(w.taskQueue, w.env),
            BENCH_WORKFLOW_BUNDLE: w.bundlePath ?? bundlePath,
            BENCH_WORKER_TUNING: JSON.stringify(w.tuning ?? {}),
          },
          w.nodeArgs,
        );
        children.push(child);
        await waitForMessage(child, 'ready', 60_000);
        return child;
      },
      async startApi(a) {
        const port = await freePort();
        const child = spawnTs('api', 'src/api/main.ts', {
          ...baseEnv(a.taskQueue, a.env),
          CLASPER_PORT: String(port),
          CLASPER_HOST: '127.0.0.1',
        });
        children.push(child);
        const url = `http://127.0.0.1:${port}`;
        await waitForHttp(child, `${url}/health`, 60_000);
        return Object.assign(child, { url });
      },
      stopChildren,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

export function uniqueQueue(scenario: string): string {
  return `bench-${scenario}-${crypto.randomUUID().slice(0, 8)}`;
}

/** Builds a workflow bundle, or reuses it when it is newer than every workflow source. */
async function ensureBundle(
  workflowsDir: string,
  bundlePath: string,
  log: (line: string) => void,
): Promise<string> {
  const sources = [
    ...listFiles(workflowsDir),
    ...listFiles(path.join(REPO_ROOT, 'src/workflows')),
    path.join(REPO_ROOT, 'package-lock.json'),
  ];
  const newest = Math.max(...sources.map((f) => fs.statSync(f).mtimeMs));
  if (fs.existsSync(bundlePath) && fs.statSync(bundlePath).mtimeMs > newest) return bundlePath;
  log(`bundling ${path.relative(REPO_ROOT, workflowsDir)} (reused while the workflow sources are unchanged)`);
  const noop = () => undefined;
  const logger = { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop };
  const code = await bundleClasperWorkflows({ workflowsPath: path.join(workflowsDir, 'index.ts'), logger });
  fs.writeFileSync(bundlePath, code);
  return bundlePath;
}

function listFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? listFiles(p) : [p];
  });
}
