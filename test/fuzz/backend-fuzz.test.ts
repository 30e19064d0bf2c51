/**
 * Bad input against the reference backend (examples/mission-control-lite), which teams copy as
 * their starting point: every route, with a valid credential so the fuzz reaches validation and
 * the handlers, generated bodies, queries and path values. Never a 5xx, every error `{error}`.
 */
import fc from 'fast-check';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { buildMissionControlLite } from '../../examples/mission-control-lite/server';
import { mintAgentToken } from '../../src/clients/mission-control/jwt';
import { encodePathValue, evilString, evilValue, mutated, nestedJson } from './arbitraries';

const SECRET = 'fuzz-backend-jwt-secret-0123456789';
const INTERNAL = 'fuzz-backend-internal-token';

interface Route {
  method: 'GET' | 'POST';
  path: string;
  auth: 'agent' | 'internal' | 'none';
  valid?: Record<string, unknown>;
  query?: string[];
}

const ROUTES: Route[] = [
  { method: 'GET', path: '/health', auth: 'none' },
  { method: 'GET', path: '/api/mission-control/capabilities', auth: 'none' },
  { method: 'GET', path: '/api/mission-control/tasks', auth: 'agent', query: ['limit', 'cursor'] },
  {
    method: 'POST',
    path: '/api/mission-control/tasks',
    auth: 'agent',
    valid: { title: 'T', description: 'd', status: 'todo', metadata: { a: 1 }, idempotency_key: 'k1' },
  },
  {
    method: 'POST',
    path: '/api/mission-control/messages',
    auth: 'agent',
    valid: { task_id: '1', content: 'c', actor_type: 'agent', agent_role: 'lead', idempotency_key: 'k2' },
  },
  {
    method: 'POST',
    path: '/api/mission-control/documents',
    auth: 'agent',
    valid: { task_id: '1', title: 'D', content: 'c', doc_type: 'plan', idempotency_key: 'k3' },
  },
  { method: 'POST', path: '/api/mission-control/heartbeat', auth: 'agent', valid: { user_id: 'fz' } },
  {
    method: 'POST',
    path: '/api/mission-control/standup',
    auth: 'agent',
    valid: { user_id: 'fz', timezone: 'UTC' },
  },
  { method: 'GET', path: '/api/tools', auth: 'agent' },
  { method: 'POST', path: '/api/tools/{name}', auth: 'agent', valid: { arguments: { text: 'hi' } } },
  {
    method: 'POST',
    path: '/api/mission-control/notifications',
    auth: 'internal',
    valid: { user_id: 'fz', session_key: 'user:fz:lead', content: 'c', task_title: 't' },
  },
  {
    method: 'GET',
    path: '/api/mission-control/dispatch/undelivered',
    auth: 'internal',
    query: ['limit_users', 'limit_notifications'],
  },
  {
    method: 'POST',
    path: '/api/mission-control/dispatch/notifications/{id}/deliver',
    auth: 'internal',
    query: ['user_id'],
  },
  { method: 'GET', path: '/api/mission-control/_inspect', auth: 'internal', query: ['user_id'] },
  { method: 'POST', path: '/api/mission-control/_faults', auth: 'internal', valid: { rules: [] } },
];

describe('fuzzing the reference backend (fast-check)', () => {
  let app: FastifyInstance;
  let token: string;

  beforeAll(async () => {
    app = await buildMissionControlLite({ jwtSecret: SECRET, internalToken: INTERNAL });
    token = await mintAgentToken({
      secret: SECRET,
      algorithm: 'HS256',
      ttlSec: 3600,
      userId: 'fz',
      role: 'lead',
    });
  });
  afterAll(async () => {
    await app.close();
  });

  function authHeaders(route: Route): Record<string, string> {
    if (route.auth === 'agent') return { 'x-agent-token': token };
    if (route.auth === 'internal') return { 'x-internal-token': INTERNAL };
    return {};
  }

  it('every route: generated bodies, queries and path values never give a 5xx, errors are {error}', async () => {
    const problems: string[] = [];
    for (const route of ROUTES) {
      const arb = fc.record({
        pathValue: evilString(3_000),
        query: fc.dictionary(
          fc.oneof(fc.constantFrom(...(route.query ?? ['q'])), fc.string({ maxLength: 6 })),
          evilString(3_000),
          { maxKeys: 3 },
        ),
        body: route.valid
          ? fc.oneof({ weight: 3, arbitrary: mutated(route.valid) }, { weight: 1, arbitrary: evilValue() })
          : evilValue(),
      });
      await fc.assert(
        fc.asyncProperty(arb, async ({ pathValue, query, body }) => {
          const qs = new URLSearchParams(query).toString();
          const url = `${route.path.replace(/\{\w+\}/, encodePathValue(pathValue || 'x'))}${qs ? `?${qs}` : ''}`;
          const req: InjectOptions = {
            method: route.method,
            url,
            headers: {
              ...authHeaders(route),
              ...(route.method === 'POST' ? { 'content-type': 'application/json' } : {}),
            },
            ...(route.method === 'POST' ? { payload: JSON.stringify(body) } : {}),
          };
          // _faults with a valid body would arm real faults for the rest of the run; keep them off.
          if (route.path.endsWith('_faults'))
            await app.inject({ method: 'DELETE', url: route.path, headers: authHeaders(route) });
          const res = await app.inject(req);
          if (route.path.endsWith('_faults'))
            await app.inject({ method: 'DELETE', url: route.path, headers: authHeaders(route) });
          const what = `${route.method} ${url.slice(0, 160)}`;
          if (res.statusCode >= 500) problems.push(`${what} → ${res.statusCode} ${res.body.slice(0, 300)}`);
          else if (res.statusCode >= 400) {
            const parsed = (() => {
              try {
                return res.json() as { error?: unknown };
              } catch {
                return undefined;
              }
            })();
            if (typeof parsed?.error !== 'string')
              problems.push(`${what} → ${res.statusCode} without {error}: ${res.body.slice(0, 200)}`);
          }
        }),
        { numRuns: route.valid ? 80 : 30 },
      );
    }
    expect(problems).toEqual([]);
  });

  it('deep nesting and invalid UTF-8 in create bodies are answered without a 5xx', async () => {
    const post = (payload: string | Buffer) =>
      app.inject({
        method: 'POST',
        url: '/api/mission-control/tasks',
        headers: { 'x-agent-token': token, 'content-type': 'application/json' },
        payload,
      });
    for (const payload of [
      `{"title":"deep","metadata":${nestedJson(5_000)}}`,
      `{"title":"deeper","metadata":{"x":${nestedJson(50_000)}},"idempotency_key":"deep"}`,
      Buffer.concat([
        Buffer.from('{"title":"'),
        Buffer.from([0xff, 0xfe, 0xed, 0xa0, 0x80]),
        Buffer.from('"}'),
      ]),
      nestedJson(80_000),
    ]) {
      const res = await post(payload);
      expect([
        String(payload).slice(0, 40),
        res.statusCode,
        res.statusCode < 500 ? '' : res.body.slice(0, 200),
      ]).toEqual([String(payload).slice(0, 40), expect.any(Number), '']);
    }
  });
});
