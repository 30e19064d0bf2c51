/**
 * Why notification dispatch does not run, as `/health?deep=true` and `clasper doctor` tell it:
 * read from a real dispatcher schedule on the dev server beside real backends, the reference
 * (offers dispatch) and the FastAPI starter (does not).
 */
import crypto from 'node:crypto';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../src/api/app';
import { checkDispatcher } from '../../../src/cli/doctor/dispatcher';
import { loadConfig, type Config } from '../../../src/config';
import {
  DISPATCH_UNSUPPORTED_NOTE,
  DISPATCH_UNSUPPORTED_REASON,
  NO_INTERNAL_TOKEN_REASON,
  ensureSchedules,
} from '../../../src/schedules/ensure';
import { REPO_ROOT } from '../../../scripts/lib/temporal-dev-server';
import { quietWorkspace } from '../../support/api-app';
import { INTERNAL, SECRET, startBackend, type TestBackend } from '../clients/mission-control/backend';
import { startFastApiStarter, STARTER_SECRET } from '../clients/mission-control/fastapi-starter';

const address = process.env.CLASPER_TEST_TEMPORAL_ADDRESS as string;
let connection: Connection;
let client: Client;
let reference: TestBackend;
let starter: Awaited<ReturnType<typeof startFastApiStarter>>;
const apps: FastifyInstance[] = [];
const scheduleId = `clasper-dispatcher/state-test-${crypto.randomUUID()}`;

beforeAll(async () => {
  connection = await Connection.connect({ address });
  client = new Client({ connection });
  reference = await startBackend();
  starter = await startFastApiStarter();
});
afterAll(async () => {
  await client.schedule
    .getHandle(scheduleId)
    .delete()
    .catch(() => undefined);
  for (const app of apps) await app.close();
  await Promise.all([reference.close(), starter.close()]);
  await connection.close();
});

function config(backend: 'reference' | 'starter', env: Record<string, string> = {}): Config {
  return loadConfig({
    TEMPORAL_ADDRESS: address,
    CLASPER_TASK_QUEUE: `test-${crypto.randomUUID()}`,
    BACKEND_URL: backend === 'reference' ? reference.url : starter.url,
    AGENT_JWT_SECRET: backend === 'reference' ? SECRET : STARTER_SECRET,
    INTERNAL_API_TOKEN: INTERNAL,
    DISPATCH_INTERVAL_SEC: '3600',
    ...env,
  });
}

/** The deep health answer's dispatcher part, from the real app. */
async function health(cfg: Config): Promise<{ state: string; reason?: string }> {
  const workspace = quietWorkspace(path.join(REPO_ROOT, 'workspace'));
  const app = await buildApp({ config: cfg, client, workspace, dispatcherScheduleId: scheduleId });
  apps.push(app);
  const body = (await app.inject({ method: 'GET', url: '/health?deep=true' })).json();
  return body.dispatcher;
}

const doctor = (cfg: Config) => checkDispatcher(cfg, client, 5000, scheduleId);

describe('why the dispatcher does not run', () => {
  it('not created: the backend offers no dispatch, or there is no INTERNAL_API_TOKEN (off by design)', async () => {
    expect(await health(config('starter'))).toEqual({
      state: 'not_created',
      reason: DISPATCH_UNSUPPORTED_REASON,
    });
    expect(await doctor(config('starter'))).toEqual({
      name: 'dispatcher',
      status: 'ok',
      reason: `not running, not created: ${DISPATCH_UNSUPPORTED_REASON}`,
    });
    const noToken = config('reference', { INTERNAL_API_TOKEN: '' });
    expect(await health(noToken)).toEqual({ state: 'not_created', reason: NO_INTERNAL_TOKEN_REASON });
    expect((await doctor(noToken)).status).toBe('ok');
  });

  it('not created although it could run: a warning that says how to create it', async () => {
    expect(await health(config('reference'))).toEqual({
      state: 'not_created',
      reason: expect.stringContaining('start the worker (it creates it) or run npm run dispatcher'),
    });
    expect(await doctor(config('reference'))).toMatchObject({ status: 'warn' });
  });

  it('active; active against a backend without dispatch fails; paused by the worker or an operator', async () => {
    const ensure = (dispatchOffered: boolean) =>
      ensureSchedules(client, config('reference'), { dispatcherScheduleId: scheduleId, dispatchOffered });
    await ensure(true);
    expect(await health(config('reference'))).toEqual({ state: 'active' });
    expect(await doctor(config('reference'))).toMatchObject({
      status: 'ok',
      reason: expect.stringMatching(/^active/),
    });

    // The backend stopped offering dispatch, and no worker has restarted to pause the schedule yet.
    expect(await health(config('starter'))).toEqual({
      state: 'active',
      reason: expect.stringContaining('so every run fails'),
    });
    expect(await doctor(config('starter'))).toMatchObject({
      status: 'fail',
      reason: expect.stringContaining(`active, but ${DISPATCH_UNSUPPORTED_REASON}`),
    });

    await ensure(false);
    expect(await health(config('starter'))).toEqual({ state: 'paused', reason: DISPATCH_UNSUPPORTED_NOTE });
    expect(await doctor(config('starter'))).toMatchObject({ status: 'ok' });

    await ensure(true); // offered again: resumed
    await client.schedule.getHandle(scheduleId).pause('maintenance until 14:00');
    expect(await health(config('reference'))).toEqual({ state: 'paused', reason: 'maintenance until 14:00' });
    expect(await doctor(config('reference'))).toEqual({
      name: 'dispatcher',
      status: 'warn',
      reason: 'not running, paused: maintenance until 14:00',
    });
  });
});
