/**
 * Starts and stops a real `temporal server start-dev` (the CLI found or installed by
 * scripts/ensure-temporal.sh). Used by the jest global setup and by scenario tests that need a
 * server of their own (e.g. to restart it).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { devServerSearchAttributeArgs } from '../../src/shared/search-attributes';

export const REPO_ROOT = path.resolve(__dirname, '../..');

export function temporalCliPath(): string {
  return execFileSync('bash', [path.join(REPO_ROOT, 'scripts/ensure-temporal.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface DevServer {
  address: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

export interface DevServerOptions {
  port?: number;
  dbFilename?: string;
  uiPort?: number;
  /** The Temporal UI decodes payloads through this codec server (`--ui-codec-endpoint`). */
  uiCodecEndpoint?: string;
  startTimeoutMs?: number;
  /** `--dynamic-config-value name=<JSON value>` pairs, over DEV_DYNAMIC_CONFIG (e.g. the bench's stock-throttle profile). */
  dynamicConfig?: Record<string, string | number | boolean>;
  /** `--sqlite-pragma` values for a file database, instead of DEV_SQLITE_PRAGMAS (the bench measures `{}`). */
  sqlitePragmas?: Record<string, string>;
}

/**
 * The dynamic config of every dev server (make dev, the tests, the bench), in this one place.
 * bench/TUNING.md has the measurements behind each value.
 */
export const DEV_DYNAMIC_CONFIG: Record<string, string | number | boolean> = {
  // The server flags a workflow whose workflow tasks failed this many times in a row with the
  // TemporalReportedProblems search attribute, which GET /health?deep=true and the worker's gauge
  // read. Self-hosted servers leave it off (0) unless told; Temporal Cloud sets it.
  'system.numConsecutiveWorkflowTaskProblemsToTriggerSearchAttribute': 2,
  // The dev server has one history shard, and a shard reads its transfer queue (which hands a
  // scheduled workflow or activity task to matching) at most 20 times a second by default: in a
  // series of fast turns every workflow task waited ~25 ms for that read. A cluster spreads
  // workflows over many shards, where the limit rarely binds; on one shard it is pure delay.
  'history.transferProcessorMaxPollRPS': 1000,
  // The same limit on the timer queue (activity timeouts, workflow timers, retries' backoff).
  'history.timerProcessorMaxPollRPS': 1000,
};

/**
 * SQLite pragmas for a dev server with a database file (make dev, the bench, the reliability
 * suite): write-ahead logging with `synchronous=NORMAL` commits without an fsync per transaction
 * and stays consistent when the server is killed (only an OS crash or power loss can drop the
 * last commits — a dev server's trade). The in-memory database of the jest run ignores them.
 */
export const DEV_SQLITE_PRAGMAS: Record<string, string> = { journal_mode: 'WAL', synchronous: 'NORMAL' };

export async function startDevServer(opts: DevServerOptions = {}): Promise<DevServer> {
  const cli = temporalCliPath();
  const port = opts.port ?? (await freePort());
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--namespace',
    'default',
    '--log-level',
    'error',
    ...(opts.uiPort ? ['--ui-port', String(opts.uiPort)] : ['--headless']),
    ...(opts.uiCodecEndpoint ? ['--ui-codec-endpoint', opts.uiCodecEndpoint] : []),
    ...(opts.dbFilename ? ['--db-filename', opts.dbFilename] : []),
    ...(opts.dbFilename
      ? Object.entries(opts.sqlitePragmas ?? DEV_SQLITE_PRAGMAS).flatMap(([k, v]) => [
          '--sqlite-pragma',
          `${k}=${v}`,
        ])
      : []),
    ...devServerSearchAttributeArgs(),
    ...Object.entries({ ...DEV_DYNAMIC_CONFIG, ...opts.dynamicConfig }).flatMap(([k, v]) => [
      '--dynamic-config-value',
      `${k}=${JSON.stringify(v)}`,
    ]),
  ];
  const child = spawn(cli, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  // If the caller dies without stopping it, do not leave the server behind.
  process.once('exit', () => child.kill('SIGKILL'));
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const address = `127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + (opts.startTimeoutMs ?? 30_000);
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`temporal server start-dev exited with code ${child.exitCode}: ${stderr}`);
    }
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await conn.workflowService.describeNamespace({ namespace: 'default' });
        return { address, port, process: child, stop };
      } finally {
        await conn.close();
      }
    } catch (err) {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(
          `temporal dev server on ${address} not ready after ${opts.startTimeoutMs ?? 30_000} ms: ${String(err)}\n${stderr}`,
        );
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
