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
  /** `--dynamic-config-value name=<JSON value>` pairs (e.g. the bench's unthrottled profile). */
  dynamicConfig?: Record<string, string | number | boolean>;
}

/**
 * Set on every dev server (make dev, the tests): the server flags a workflow whose workflow tasks
 * failed this many times in a row with the TemporalReportedProblems search attribute, which
 * GET /health?deep=true and the worker's gauge read. Self-hosted servers leave it off (0) unless
 * told; Temporal Cloud sets it.
 */
export const DEV_DYNAMIC_CONFIG = {
  'system.numConsecutiveWorkflowTaskProblemsToTriggerSearchAttribute': 2,
};

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
