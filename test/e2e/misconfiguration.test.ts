/**
 * Misconfiguration fails fast and says what to do, never hangs: a namespace without our search
 * attributes stops the worker at start (and shows in /health?deep=true and `clasper doctor`), and a
 * metrics port that is taken is one clear line.
 */
import crypto from 'node:crypto';
import net from 'node:net';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { checkTemporal } from '../../src/cli/doctor/temporal';
import { indexedTypeOf } from '../../src/clients/temporal/search-attributes';
import { CLASPER_SEARCH_ATTRIBUTES } from '../../src/shared/search-attributes';
import { buildTestApp } from '../support/api-app';
import { spawnClasper, type ClasperProcess } from '../support/worker-process';
import { useStack } from './helpers';

const NAMESPACE = `clasper-no-sa-${crypto.randomUUID().slice(0, 8)}`;
const EXPECTED = `search attribute ClasperPromptTokens is not registered in namespace '${NAMESPACE}'; run npm run temporal:setup`;

/** A fresh namespace with every attribute of ours but ClasperPromptTokens. */
async function namespaceWithoutPromptTokens(): Promise<void> {
  const connection = await Connection.connect({ address: process.env.CLASPER_TEST_TEMPORAL_ADDRESS });
  try {
    await connection.workflowService.registerNamespace({
      namespace: NAMESPACE,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await connection.operatorService.addSearchAttributes({
          namespace: NAMESPACE,
          searchAttributes: Object.fromEntries(
            CLASPER_SEARCH_ATTRIBUTES.filter((k) => k.name !== 'ClasperPromptTokens').map((k) => [
              k.name,
              indexedTypeOf(k),
            ]),
          ),
        });
        return;
      } catch (err) {
        // A new namespace reaches the server's caches within seconds.
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  } finally {
    await connection.close();
  }
}

describe('misconfiguration fails fast', () => {
  const stack = useStack({ worker: false });
  const procs: ClasperProcess[] = [];

  beforeAll(() => namespaceWithoutPromptTokens(), 60_000);
  afterAll(async () => {
    for (const p of procs) await p.stop('SIGKILL');
  });

  async function exitLine(env: Record<string, string>): Promise<string> {
    const started = Date.now();
    const proc = spawnClasper(stack(), 'worker', { env });
    procs.push(proc);
    expect((await proc.exited).code).toBe(1);
    expect(Date.now() - started).toBeLessThan(30_000);
    const lines = proc.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    return lines[0] as string;
  }

  it('the worker refuses a namespace without a search attribute it upserts', async () => {
    expect(await exitLine({ TEMPORAL_NAMESPACE: NAMESPACE })).toBe(`clasper worker failed: ${EXPECTED}`);
  }, 60_000);

  it('/health?deep=true and clasper doctor name the missing attribute', async () => {
    const t = await buildTestApp({ env: { TEMPORAL_NAMESPACE: NAMESPACE } });
    try {
      const res = await t.app.inject({ method: 'GET', url: '/health?deep=true' });
      expect(res.json()).toMatchObject({
        status: 'degraded',
        temporal: { status: 'error', error: EXPECTED },
      });
      const [temporal] = await checkTemporal(t.config, t.client, 5_000);
      expect(temporal).toEqual({ name: 'temporal', status: 'fail', reason: EXPECTED });
    } finally {
      await t.close();
    }
  }, 30_000);

  it('a taken metrics port is one clear line; 0 would turn the endpoint off', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '0.0.0.0', resolve));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      expect(await exitLine({ CLASPER_WORKER_METRICS_PORT: String(port) })).toBe(
        `clasper worker failed: CLASPER_WORKER_METRICS_PORT ${port} is already in use (another worker on this host?): ` +
          'give each worker its own port, or set it to 0 to turn the metrics endpoint off',
      );
    } finally {
      taken.close();
    }
  }, 60_000);
});
