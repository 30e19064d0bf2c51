/**
 * The bench's own `temporal server start-dev`: like scripts/lib/temporal-dev-server.ts (same CLI,
 * our search attributes, loopback only) plus dynamic-config values, which that helper does not take.
 *
 * Why a second server profile: the dev server has ONE history shard, and each shard reads its
 * transfer queue (the step that hands a scheduled workflow task to matching) at most
 * `history.transferProcessorMaxPollRPS` times a second, 20 by default (a token bucket, so short
 * bursts pass). With every workflow on one shard, back-to-back fast turns make each workflow task
 * wait ~25 ms for that read: a plain turn with a 0 ms model took ~300 ms instead of ~135 ms in a
 * sustained series while we explored. A cluster spreads workflows over many shards, where this
 * limit rarely binds. The scenarios run the defaults (what `make dev` gives); the tuning scenario
 * measures the unthrottled profile beside them.
 */
import { spawn } from 'node:child_process';
import { Connection } from '@temporalio/client';
import { freePort, temporalCliPath, type DevServer } from '../../scripts/lib/temporal-dev-server';
import { devServerSearchAttributeArgs } from '../../src/workflows/lib/search-attributes';

export interface ServerProfile {
  name: string;
  why: string;
  dynamicConfig: Record<string, string | number | boolean>;
}

export const SERVER_DEFAULT: ServerProfile = { name: 'dev-server defaults', why: 'temporal server start-dev as `make dev` runs it', dynamicConfig: {} };

export const SERVER_UNTHROTTLED: ServerProfile = {
  name: 'transfer reads unthrottled',
  why: 'history.transferProcessorMaxPollRPS 20 → 1000 (and the timer queue alike): the one-shard dev server stops adding ~25 ms per workflow task',
  dynamicConfig: { 'history.transferProcessorMaxPollRPS': 1000, 'history.timerProcessorMaxPollRPS': 1000 },
};

export async function startBenchServer(opts: { dbFilename?: string; profile: ServerProfile }): Promise<DevServer> {
  const port = await freePort();
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
    '--headless',
    ...(opts.dbFilename ? ['--db-filename', opts.dbFilename] : []),
    ...devServerSearchAttributeArgs(),
    ...Object.entries(opts.profile.dynamicConfig).flatMap(([k, v]) => ['--dynamic-config-value', `${k}=${JSON.stringify(v)}`]),
  ];
  const child = spawn(temporalCliPath(), args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  process.once('exit', () => child.kill('SIGKILL'));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const address = `127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`temporal server start-dev exited with code ${child.exitCode}: ${stderr}`);
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
        throw new Error(`temporal dev server on ${address} not ready after 30 s: ${String(err)}\n${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
