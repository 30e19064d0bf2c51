import { type FastifyInstance } from 'fastify';
import { asAgent, asInternal, buildTestServer, INTERNAL, mintToken } from './test-helpers';

const NOTIFY = '/api/mission-control/notifications';
const UNDELIVERED = '/api/mission-control/dispatch/undelivered';
const deliverUrl = (id: string, userId: string) =>
  `/api/mission-control/dispatch/notifications/${encodeURIComponent(id)}/deliver?user_id=${encodeURIComponent(userId)}`;

describe('mission-control-lite: notification dispatch', () => {
  let app: FastifyInstance;
  beforeEach(async () => {
    app = await buildTestServer();
  });
  afterEach(async () => {
    await app.close();
  });

  async function enqueue(userId: string, content: string, extra: Record<string, unknown> = {}) {
    const res = await asInternal(app, 'POST', NOTIFY, {
      user_id: userId,
      session_key: `user:${userId}:lead`,
      content,
      ...extra,
    });
    expect(res.status).toBe(200);
    return res.body as { notification_id: string };
  }

  it('enqueue 3 → 3 undelivered → ack one → 2 remain; acking twice is fine', async () => {
    const first = await enqueue('u1', 'one', { task_id: 'task_1', task_title: 'Inbox' });
    await enqueue('u1', 'two');
    await enqueue('u2', 'three');
    const before = await asInternal(app, 'GET', UNDELIVERED);
    expect(before.status).toBe(200);
    expect(before.body.deliveries).toEqual([
      {
        notification_id: first.notification_id,
        user_id: 'u1',
        session_key: 'user:u1:lead',
        content: 'one',
        task_id: 'task_1',
        task_title: 'Inbox',
        created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      },
      expect.objectContaining({ user_id: 'u1', content: 'two' }),
      expect.objectContaining({ user_id: 'u2', content: 'three' }),
    ]);
    expect(before.body.deliveries[1]).not.toHaveProperty('task_id');

    const ack = await asInternal(app, 'POST', deliverUrl(first.notification_id, 'u1'));
    expect(ack.status).toBe(200);
    expect(ack.body).toMatchObject({ status: 'delivered', notification_id: first.notification_id });
    const again = await asInternal(app, 'POST', deliverUrl(first.notification_id, 'u1'));
    expect(again.status).toBe(200);
    expect(again.body.delivered_at).toBe(ack.body.delivered_at);

    const after = await asInternal(app, 'GET', UNDELIVERED);
    expect(after.body.deliveries.map((d: { content: string }) => d.content)).toEqual(['two', 'three']);
    const seen = await asInternal(app, 'GET', '/api/mission-control/_inspect');
    const stored = seen.body.notifications.find(
      (n: { notification_id: string }) => n.notification_id === first.notification_id,
    );
    expect(stored).toMatchObject({ delivered: true, delivered_at: ack.body.delivered_at });
  });

  it('acks with a JSON content type and an empty body, as some HTTP clients send', async () => {
    const n = await enqueue('u1', 'x');
    const res = await app.inject({
      method: 'POST',
      url: deliverUrl(n.notification_id, 'u1'),
      headers: { 'x-internal-token': INTERNAL, 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(200);
  });

  it('404 for an unknown id or the wrong user; 400 without user_id', async () => {
    const n = await enqueue('u1', 'x');
    const unknown = await asInternal(app, 'POST', deliverUrl('ntf_missing', 'u1'));
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('notification_not_found');
    expect((await asInternal(app, 'POST', deliverUrl(n.notification_id, 'u2'))).status).toBe(404);
    const noUser = await asInternal(
      app,
      'POST',
      `/api/mission-control/dispatch/notifications/${n.notification_id}/deliver`,
    );
    expect(noUser.status).toBe(400);
    expect(noUser.body.details.issues[0].path).toBe('user_id');
    expect((await asInternal(app, 'GET', UNDELIVERED)).body.deliveries).toHaveLength(1);
  });

  it('limits users and notifications per user, oldest first', async () => {
    for (const user of ['a', 'b', 'c']) {
      for (let i = 0; i < 3; i++) await enqueue(user, `${user}${i}`);
    }
    const res = await asInternal(app, 'GET', `${UNDELIVERED}?limit_users=2&limit_notifications=2`);
    expect(res.body.deliveries.map((d: { content: string }) => d.content)).toEqual(['a0', 'a1', 'b0', 'b1']);
    const defaults = await asInternal(app, 'GET', UNDELIVERED);
    expect(defaults.body.deliveries).toHaveLength(9);
    for (const bad of ['limit_users=0', 'limit_notifications=abc', 'limit_users=1001']) {
      expect((await asInternal(app, 'GET', `${UNDELIVERED}?${bad}`)).status).toBe(400);
    }
  });

  it('validates enqueued notifications', async () => {
    const res = await asInternal(app, 'POST', NOTIFY, {
      user_id: 'u1',
      session_key: 'user:u2:lead',
      content: '',
    });
    expect(res.status).toBe(400);
    expect(res.body.details.issues.map((i: { path: string }) => i.path).sort()).toEqual([
      'content',
      'session_key',
    ]);
  });

  it('enqueue honours idempotency_key', async () => {
    const body = { user_id: 'u1', session_key: 'user:u1:lead', content: 'x', idempotency_key: 'n1' };
    const a = await asInternal(app, 'POST', NOTIFY, body);
    const b = await asInternal(app, 'POST', NOTIFY, body);
    expect(b.body.notification_id).toBe(a.body.notification_id);
    expect((await asInternal(app, 'POST', NOTIFY, { ...body, content: 'y' })).status).toBe(409);
  });
});

describe('mission-control-lite: heartbeat, standup, inspection', () => {
  let app: FastifyInstance;
  beforeEach(async () => {
    app = await buildTestServer();
  });
  afterEach(async () => {
    await app.close();
  });

  it('records heartbeat and standup calls with role and time', async () => {
    const token = await mintToken({ userId: 'u1', role: 'researcher' });
    const hb = await asAgent(app, token, 'POST', '/api/mission-control/heartbeat', { user_id: 'u1' });
    expect(hb.status).toBe(200);
    expect(hb.body).toMatchObject({ status: 'ok', user_id: 'u1', agent_role: 'researcher' });
    const su = await asAgent(app, token, 'POST', '/api/mission-control/standup', {
      user_id: 'u1',
      timezone: 'Europe/Berlin',
    });
    expect(su.status).toBe(200);
    expect(su.body).toMatchObject({ status: 'ok', timezone: 'Europe/Berlin', agent_role: 'researcher' });

    const seen = await asInternal(app, 'GET', '/api/mission-control/_inspect?user_id=u1');
    expect(seen.body.heartbeats).toEqual([
      { kind: 'heartbeat', user_id: 'u1', agent_role: 'researcher', received_at: hb.body.received_at },
    ]);
    expect(seen.body.standups).toEqual([
      expect.objectContaining({ user_id: 'u1', agent_role: 'researcher', timezone: 'Europe/Berlin' }),
    ]);
    expect(Date.parse(seen.body.heartbeats[0].received_at)).not.toBeNaN();
  });

  it('403 when the body user_id is not the token user; 400 for a bad timezone', async () => {
    const token = await mintToken({ userId: 'u1' });
    const hb = await asAgent(app, token, 'POST', '/api/mission-control/heartbeat', { user_id: 'u2' });
    expect(hb.status).toBe(403);
    expect(hb.body.code).toBe('user_mismatch');
    const su = await asAgent(app, token, 'POST', '/api/mission-control/standup', {
      user_id: 'u2',
      timezone: 'UTC',
    });
    expect(su.status).toBe(403);
    const tz = await asAgent(app, token, 'POST', '/api/mission-control/standup', {
      user_id: 'u1',
      timezone: 'Mars/Base',
    });
    expect(tz.status).toBe(400);
    expect(tz.body.details.issues[0].path).toBe('timezone');
    expect((await asAgent(app, token, 'POST', '/api/mission-control/heartbeat', {})).status).toBe(400);
    const seen = await asInternal(app, 'GET', '/api/mission-control/_inspect');
    expect(seen.body.heartbeats).toEqual([]);
    expect(seen.body.standups).toEqual([]);
  });

  it('_inspect shows everything with user_id, filterable per user', async () => {
    const a = await mintToken({ userId: 'a' });
    const b = await mintToken({ userId: 'b' });
    const task = (await asAgent(app, a, 'POST', '/api/mission-control/tasks', { title: 'A task' })).body;
    await asAgent(app, a, 'POST', '/api/mission-control/messages', { task_id: task.id, content: 'm' });
    await asAgent(app, a, 'POST', '/api/mission-control/documents', {
      task_id: task.id,
      title: 'd',
      content: 'full text',
    });
    await asAgent(app, b, 'POST', '/api/mission-control/tasks', { title: 'B task' });
    await asInternal(app, 'POST', NOTIFY, { user_id: 'a', session_key: 'user:a:lead', content: 'n' });

    const all = await asInternal(app, 'GET', '/api/mission-control/_inspect');
    expect(all.status).toBe(200);
    expect(all.body.tasks.map((t: { user_id: string }) => t.user_id)).toEqual(['a', 'b']);
    expect(all.body.messages).toEqual([
      expect.objectContaining({ user_id: 'a', task_id: task.id, content: 'm' }),
    ]);
    expect(all.body.documents).toEqual([expect.objectContaining({ user_id: 'a', content: 'full text' })]);
    expect(all.body.notifications).toEqual([
      expect.objectContaining({ user_id: 'a', delivered: false, delivered_at: null }),
    ]);

    const onlyB = await asInternal(app, 'GET', '/api/mission-control/_inspect?user_id=b');
    expect(onlyB.body.tasks).toEqual([expect.objectContaining({ title: 'B task' })]);
    expect(onlyB.body.messages).toEqual([]);
    expect(onlyB.body.notifications).toEqual([]);
  });
});

describe('mission-control-lite: health, capabilities, unknown routes', () => {
  let app: FastifyInstance;
  beforeEach(async () => {
    app = await buildTestServer();
  });
  afterEach(async () => {
    await app.close();
  });

  it('GET /health needs no auth', async () => {
    const res = await app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('capabilities without a token and with one', async () => {
    const expected = {
      contract_version: 'v1',
      features: {
        tasks: true,
        messages: true,
        documents: true,
        notifications_dispatch: true,
        heartbeat: true,
        standup: true,
        tools: true,
      },
    };
    const anonymous = await app.inject({ method: 'GET', url: '/api/mission-control/capabilities' });
    expect(anonymous.statusCode).toBe(200);
    expect(anonymous.json()).toEqual(expected);
    const withToken = await asAgent(app, await mintToken(), 'GET', '/api/mission-control/capabilities');
    expect(withToken.body).toEqual(expected);
  });

  it('?unchecked=true (test-only) serves a malformed delivery back verbatim, and it can be acked', async () => {
    const res = await asInternal(app, 'POST', `${NOTIFY}?unchecked=true`, {
      user_id: 'u9',
      content: 'no session key',
    });
    expect(res.status).toBe(200);
    const { notification_id } = res.body as { notification_id: string };
    const undelivered = await asInternal(app, 'GET', UNDELIVERED);
    expect(undelivered.body.deliveries).toEqual([
      { notification_id, user_id: 'u9', content: 'no session key' },
    ]);
    expect((await asInternal(app, 'POST', deliverUrl(notification_id, 'u9'))).status).toBe(200);
    expect((await asInternal(app, 'POST', `${NOTIFY}?unchecked=true`, [1, 2])).status).toBe(400);
    // Without the flag the same body is still rejected.
    expect((await asInternal(app, 'POST', NOTIFY, { user_id: 'u9', content: 'x' })).status).toBe(400);
  });

  it('unknown routes and methods are JSON 404s', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/mission-control/nope?x=1' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expect(res.json()).toEqual({
      error: expect.stringMatching(/GET \/api\/mission-control\/nope does not exist/),
      code: 'route_not_found',
    });
    expect((await app.inject({ method: 'PUT', url: '/health' })).statusCode).toBe(404);
  });

  it('unsupported content types are a 4xx with an {error} body', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/mission-control/tasks',
      headers: { 'x-agent-token': await mintToken(), 'content-type': 'text/plain' },
      payload: 'title=x',
    });
    expect(res.statusCode).toBe(415);
    expect(res.json().error).toMatch(/Content-Type: application\/json/);
  });
});
