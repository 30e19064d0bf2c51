/**
 * The reference backend (examples/mission-control-lite) on a real port, plus the test-only calls
 * it offers (`_inspect`, `_faults`, notification enqueue). The client under test talks to it over
 * real HTTP; these helpers use plain fetch so they never depend on the code being tested.
 */
import { type AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { type FastifyInstance } from 'fastify';
import { buildMissionControlLite } from '../../../../examples/mission-control-lite/server';
import type { Config } from '../../../../src/config';

export const SECRET = 'mc-client-test-secret-0123456789abcdef';
export const INTERNAL = 'mc-client-test-internal-token';

export interface TestBackend {
  app: FastifyInstance;
  url: string;
  config(overrides?: Partial<Config['backend']>): Config['backend'];
  inspect(userId?: string): Promise<Snapshot>;
  faults(rules: FaultRule[]): Promise<void>;
  clearFaults(): Promise<void>;
  enqueueNotification(body: {
    user_id: string;
    session_key: string;
    content: string;
    task_id?: string;
  }): Promise<{ notification_id: string }>;
  close(): Promise<void>;
}

export interface FaultRule {
  method?: string;
  path: string;
  times?: number;
  mode: 'status' | 'drop' | 'delay' | 'lose_response';
  status?: number;
  retry_after_sec?: number;
  delay_ms?: number;
}

type Row = Record<string, unknown>;
export interface Snapshot {
  tasks: Row[];
  messages: Row[];
  documents: Row[];
  notifications: Row[];
}

export async function startBackend(): Promise<TestBackend> {
  const app = await buildMissionControlLite({ jwtSecret: SECRET, internalToken: INTERNAL });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

  const internal = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: {
        'x-internal-token': INTERNAL,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json: unknown = await res.json();
    if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(json)}`);
    return json;
  };

  return {
    app,
    url,
    config: (overrides = {}) => ({
      url,
      jwtSecret: SECRET,
      jwtAlgorithm: 'HS256',
      jwtTtlSec: 300,
      internalToken: INTERNAL,
      ...overrides,
    }),
    inspect: async (userId) =>
      (await internal(
        'GET',
        `/api/mission-control/_inspect${userId ? `?user_id=${encodeURIComponent(userId)}` : ''}`,
      )) as Snapshot,
    faults: async (rules) => {
      await internal('POST', '/api/mission-control/_faults', { rules });
    },
    clearFaults: async () => {
      await internal('DELETE', '/api/mission-control/_faults');
    },
    enqueueNotification: async (body) =>
      (await internal('POST', '/api/mission-control/notifications', body)) as { notification_id: string },
    close: () => app.close(),
  };
}

/** Unique per test, so tests sharing one backend never see each other's data. */
let counter = 0;
export function uniqueUser(prefix = 'u'): string {
  counter += 1;
  return `${prefix}${counter}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Awaits `promise` and returns the ApplicationFailure it rejects with; fails the test otherwise. */
export async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  let value: unknown;
  try {
    value = await promise;
  } catch (err) {
    if (err instanceof ApplicationFailure) return err;
    throw new Error(`expected an ApplicationFailure, got ${String(err)}`, { cause: err });
  }
  throw new Error(`expected a failure, got ${JSON.stringify(value)}`);
}
