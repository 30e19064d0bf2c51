import { type FastifyInstance } from 'fastify';
import { buildMissionControlLite } from './server';
import {
  agentClaims,
  asAgent,
  asInternal,
  buildTestServer,
  mintToken,
  SECRET,
  unsignedToken,
} from './test-helpers';

const TASKS = '/api/mission-control/tasks';

describe('mission-control-lite: X-Agent-Token', () => {
  let app: FastifyInstance;
  beforeEach(async () => {
    app = await buildTestServer();
  });
  afterEach(async () => {
    await app.close();
  });

  async function rejects(headers: Record<string, string>) {
    const res = await app.inject({ method: 'GET', url: TASKS, headers });
    expect(res.statusCode).toBe(401);
    const body = res.json();
    expect(typeof body.error).toBe('string');
    return body as { error: string; code?: string };
  }

  it('accepts a token minted like the runtime mints it', async () => {
    const res = await asAgent(app, await mintToken(), 'GET', TASKS);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ items: [], next_cursor: null });
  });

  it('401 when the header is missing', async () => {
    const body = await rejects({});
    expect(body.error).toMatch(/X-Agent-Token is missing/);
    expect(body.code).toBe('missing_token');
  });

  it('401 when the token is expired', async () => {
    const body = await rejects({ 'x-agent-token': await mintToken({ expiresIn: -60 }) });
    expect(body.error).toMatch(/expired/);
    expect(body.code).toBe('token_expired');
  });

  it('401 when the token has no exp claim', async () => {
    const body = await rejects({ 'x-agent-token': await mintToken({ expiresIn: null }) });
    expect(body.error).toMatch(/"exp"/);
  });

  it('401 when signed with another secret', async () => {
    const body = await rejects({ 'x-agent-token': await mintToken({ secret: `${SECRET}-other` }) });
    expect(body.error).toMatch(/X-Agent-Token is invalid: signature verification failed/);
  });

  it('401 for an unsigned alg:none token', async () => {
    const body = await rejects({ 'x-agent-token': unsignedToken(agentClaims()) });
    expect(body.error).toMatch(/algorithm "none" is not accepted/);
  });

  it('401 when type is not "agent"', async () => {
    const body = await rejects({ 'x-agent-token': await mintToken({ type: 'adapter' }) });
    expect(body.error).toMatch(/claim "type" must be "agent"/);
  });

  it('401 when user_id or agent_role is missing or not a string', async () => {
    const noUser = await mintToken({ extraClaims: { user_id: undefined } });
    expect((await rejects({ 'x-agent-token': noUser })).error).toMatch(/claim "user_id"/);
    const numericRole = await mintToken({ extraClaims: { agent_role: 7 } });
    expect((await rejects({ 'x-agent-token': numericRole })).error).toMatch(/claim "agent_role"/);
  });

  it('401 when signed with an HMAC algorithm other than the configured one', async () => {
    const body = await rejects({ 'x-agent-token': await mintToken({ alg: 'HS384' }) });
    expect(body.error).toMatch(/algorithm "HS384" is not accepted; this backend accepts only HS256/);
  });

  it('401 for garbage', async () => {
    const body = await rejects({ 'x-agent-token': 'not-a-jwt' });
    expect(body.error).toMatch(/X-Agent-Token is invalid/);
  });

  it('checks auth before the body, so an anonymous caller never sees validation details', async () => {
    const res = await app.inject({ method: 'POST', url: TASKS, payload: { nope: true } });
    expect(res.statusCode).toBe(401);
  });

  it('honours a configured HS512 and then rejects HS256', async () => {
    const hs512 = await buildMissionControlLite({
      jwtSecret: SECRET,
      internalToken: 'x',
      jwtAlgorithm: 'HS512',
    });
    try {
      expect((await asAgent(hs512, await mintToken({ alg: 'HS512' }), 'GET', TASKS)).status).toBe(200);
      const res = await asAgent(hs512, await mintToken({ alg: 'HS256' }), 'GET', TASKS);
      expect(res.status).toBe(401);
      expect(res.body.error).toMatch(/accepts only HS512/);
    } finally {
      await hs512.close();
    }
  });

  it('every agent endpoint requires the token', async () => {
    const routes: [string, string][] = [
      ['GET', TASKS],
      ['POST', TASKS],
      ['POST', '/api/mission-control/messages'],
      ['POST', '/api/mission-control/documents'],
      ['POST', '/api/mission-control/heartbeat'],
      ['POST', '/api/mission-control/standup'],
      ['GET', '/api/tools'],
      ['POST', '/api/tools/echo'],
    ];
    for (const [method, url] of routes) {
      const res = await app.inject({ method: method as 'GET' | 'POST', url });
      expect([method, url, res.statusCode]).toEqual([method, url, 401]);
    }
  });
});

describe('mission-control-lite: X-Internal-Token', () => {
  let app: FastifyInstance;
  beforeEach(async () => {
    app = await buildTestServer();
  });
  afterEach(async () => {
    await app.close();
  });

  it('every internal endpoint answers 401 without it or with a wrong one', async () => {
    const routes: ['GET' | 'POST' | 'DELETE', string][] = [
      ['POST', '/api/mission-control/notifications'],
      ['GET', '/api/mission-control/dispatch/undelivered'],
      ['POST', '/api/mission-control/dispatch/notifications/x/deliver?user_id=u1'],
      ['GET', '/api/mission-control/_inspect'],
      ['GET', '/api/mission-control/_faults'],
      ['POST', '/api/mission-control/_faults'],
      ['DELETE', '/api/mission-control/_faults'],
    ];
    for (const [method, url] of routes) {
      const missing = await asInternal(app, method, url, undefined, null);
      expect([url, missing.status, missing.body.code]).toEqual([url, 401, 'missing_internal_token']);
      const wrong = await asInternal(app, method, url, undefined, 'wrong');
      expect([url, wrong.status, wrong.body.code]).toEqual([url, 401, 'invalid_internal_token']);
    }
  });

  it('an agent token does not open internal endpoints', async () => {
    const res = await asAgent(app, await mintToken(), 'GET', '/api/mission-control/_inspect');
    expect(res.status).toBe(401);
  });
});

describe('buildMissionControlLite options', () => {
  it('refuses to start without secrets', async () => {
    await expect(buildMissionControlLite({ jwtSecret: '', internalToken: 'x' })).rejects.toThrow(
      /jwtSecret is empty/,
    );
    await expect(buildMissionControlLite({ jwtSecret: 'x', internalToken: '' })).rejects.toThrow(
      /internalToken is empty/,
    );
  });
});
