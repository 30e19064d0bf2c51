import { decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import {
  MissionControlClient,
  MissionControlError,
  mintAgentToken,
} from '../../../../src/clients/mission-control';
import {
  failureOf,
  SECRET,
  startBackend,
  uniqueUser,
  type TestBackend,
} from '../../../integration/clients/mission-control/backend';

describe('agent tokens', () => {
  let backend: TestBackend;
  beforeAll(async () => {
    backend = await startBackend();
  });
  afterAll(() => backend.close());

  it('carries the contract v1 claims with exp = iat + ttl and a fresh jti', async () => {
    const now = new Date('2025-01-02T03:04:05Z');
    const input = {
      secret: SECRET,
      algorithm: 'HS384' as const,
      ttlSec: 120,
      userId: 'u-42',
      role: 'writer',
      now,
    };
    const token = await mintAgentToken(input);
    const claims = decodeJwt(token);

    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS384', typ: 'JWT' });
    expect(claims).toMatchObject({
      type: 'agent',
      user_id: 'u-42',
      agent_role: 'writer',
      sub: 'clasper:writer',
    });
    expect(claims.iat).toBe(Math.floor(now.getTime() / 1000));
    expect(claims.exp! - claims.iat!).toBe(120);
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(decodeJwt(await mintAgentToken(input)).jti).not.toBe(claims.jti);
    // Signed with the secret and algorithm asked for.
    await expect(
      jwtVerify(token, new TextEncoder().encode(SECRET), { algorithms: ['HS384'], currentDate: now }),
    ).resolves.toBeDefined();
  });

  it('is accepted by the reference backend', async () => {
    const client = new MissionControlClient(backend.config());
    const page = await client.listTasks({ userId: uniqueUser(), role: 'lead' });
    expect(page).toEqual({ items: [], next_cursor: null });
  });

  it('signed with the wrong secret is a non-retryable Unauthorized that names the settings and leaks nothing', async () => {
    const wrongSecret = 'not-the-backend-secret-9876543210';
    const client = new MissionControlClient(backend.config({ jwtSecret: wrongSecret }));
    const failure = await failureOf(client.listTasks({ userId: uniqueUser(), role: 'lead' }));

    expect(failure.type).toBe(MissionControlError.Unauthorized);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain('GET /api/mission-control/tasks answered 401: ');
    expect(failure.message).toContain(
      "the backend rejected the agent token: check that AGENT_JWT_SECRET and AGENT_JWT_ALGORITHM match the backend's",
    );
    // The backend's own words travel in the details too, so readers need not cut them out of the message.
    expect(failure.details).toEqual([
      {
        status: 401,
        path: '/api/mission-control/tasks',
        code: 'invalid_token',
        text: expect.stringContaining('X-Agent-Token is invalid'),
      },
    ]);
    const visible = JSON.stringify({
      message: failure.message,
      details: failure.details,
      stack: failure.stack,
    });
    expect(visible).not.toContain(wrongSecret);
    expect(visible).not.toContain(SECRET);
    expect(visible).not.toMatch(/eyJ[\w-]+\.[\w-]+/); // no JWT
  });

  it('without AGENT_JWT_SECRET fails before any request, non-retryably', async () => {
    const client = new MissionControlClient(backend.config({ jwtSecret: undefined }));
    const failure = await failureOf(client.listTasks({ userId: uniqueUser(), role: 'lead' }));
    expect(failure.type).toBe(MissionControlError.NotConfigured);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(/^AGENT_JWT_SECRET is not set/);
  });
});
