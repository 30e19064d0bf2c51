import {
  fitIdempotencyKey,
  MAX_IDEMPOTENCY_KEY_CHARS,
  MissionControlClient,
  MissionControlError,
} from '../../../../src/clients/mission-control';
import { failureOf, startBackend, uniqueUser, type TestBackend } from './backend';

describe('MissionControlClient against mission-control-lite', () => {
  let backend: TestBackend;
  let client: MissionControlClient;
  beforeAll(async () => {
    backend = await startBackend();
    client = new MissionControlClient(backend.config());
  });
  afterEach(() => backend.clearFaults());
  afterAll(() => backend.close());

  const agent = () => ({ userId: uniqueUser(), role: 'lead' });

  // Delay faults keep a timer running on the server after the client gave up; waiting it out
  // keeps the server idle when it closes.
  const SERVER_DELAY_MS = 800;
  const untilServerIdle = (started: number) =>
    new Promise((resolve) => setTimeout(resolve, Math.max(0, started + SERVER_DELAY_MS + 50 - Date.now())));

  it('reads capabilities and reports health', async () => {
    const caps = await client.capabilities(agent());
    expect(caps.contract_version).toBe('v1');
    expect(caps.features.tools).toBe(true);
    await expect(client.health()).resolves.toMatchObject({ ok: true, contractVersion: 'v1' });
    const down = new MissionControlClient({ ...backend.config(), url: 'http://127.0.0.1:1' });
    await expect(down.health()).resolves.toMatchObject({
      ok: false,
      error: expect.stringContaining('failed before the backend answered'),
    });
  });

  it('probes capabilities without a token when there is no AGENT_JWT_SECRET to sign one', async () => {
    const anonymous = new MissionControlClient(backend.config({ jwtSecret: undefined }));
    await expect(anonymous.anonymousCapabilities()).resolves.toMatchObject({ contract_version: 'v1' });
    // The agent call cannot even be made: there is nothing to sign its token with.
    expect((await failureOf(anonymous.capabilities(agent()))).type).toBe(MissionControlError.NotConfigured);
  });

  it('finds a task by exact title on the third page, and lists every task', async () => {
    const id = agent();
    for (let i = 1; i <= 120; i++) {
      await client.createTask(id, { title: `Task ${i}` }, `seed-${i}`);
    }
    // The backend's default page size, so 120 tasks span three pages.
    const paged = new MissionControlClient(backend.config(), { pageSize: 50 });
    const pages: number[] = [];
    const found = await paged.findTaskByTitle(id, 'Task 120', { onPage: (p) => pages.push(p) });
    expect(found).toMatchObject({ title: 'Task 120' });
    expect(pages).toEqual([1, 2, 3]);

    const capped = new MissionControlClient(backend.config(), { pageSize: 50, maxPages: 2 });
    const tooMany = await failureOf(capped.findTaskByTitle(id, 'Task 120'));
    expect(tooMany.type).toBe(MissionControlError.TooManyPages);
    expect(tooMany.nonRetryable).toBe(true);

    expect(await paged.findTaskByTitle(id, 'Task 12 ')).toBeNull(); // exact match only
    expect(await paged.findTaskByTitle(id, 'task 120')).toBeNull();
    const all = await paged.listAllTasks(id);
    expect(all.map((t) => t.title)).toEqual(Array.from({ length: 120 }, (_, i) => `Task ${i + 1}`));
  });

  it('creates a task once per idempotency key and refuses the key for another body', async () => {
    const id = agent();
    const first = await client.createTask(id, { title: 'Write report', description: 'Q3' }, 'turn-1/task');
    const again = await client.createTask(id, { title: 'Write report', description: 'Q3' }, 'turn-1/task');
    expect(again.id).toBe(first.id);
    expect((await backend.inspect(id.userId)).tasks).toHaveLength(1);

    const conflict = await failureOf(client.createTask(id, { title: 'Something else' }, 'turn-1/task'));
    expect(conflict.type).toBe(MissionControlError.Conflict);
    expect(conflict.nonRetryable).toBe(true);
    expect(conflict.details).toEqual([
      {
        status: 409,
        path: '/api/mission-control/tasks',
        code: 'idempotency_conflict',
        text: expect.any(String),
      },
    ]);
  });

  it('shortens an over-long idempotency key deterministically, keeping one task per key', async () => {
    const id = agent();
    const long = `agent-turn/${'u'.repeat(128)}/${'k'.repeat(128)}/tool:1:call_abc`;
    const first = await client.createTask(id, { title: 'Long key' }, long);
    const again = await client.createTask(id, { title: 'Long key' }, long);
    const other = await client.createTask(id, { title: 'Long key' }, `${long}x`);
    expect(again.id).toBe(first.id);
    expect(other.id).not.toBe(first.id);
    expect(fitIdempotencyKey(long)).toHaveLength(MAX_IDEMPOTENCY_KEY_CHARS);
    expect(fitIdempotencyKey('short')).toBe('short');
  });

  it('refuses a write without an idempotency key', async () => {
    const failure = await failureOf(client.createTask(agent(), { title: 'x' }, ''));
    expect(failure.type).toBe(MissionControlError.InvalidCall);
    expect(failure.nonRetryable).toBe(true);
  });

  it('makes a 503 with Retry-After a retryable ServerError with that delay', async () => {
    await backend.faults([
      { method: 'GET', path: '/api/mission-control/tasks', mode: 'status', status: 503, retry_after_sec: 2 },
    ]);
    const failure = await failureOf(client.listTasks(agent()));
    expect(failure.type).toBe(MissionControlError.ServerError);
    expect(failure.nonRetryable).toBe(false);
    expect(failure.nextRetryDelay).toBe(2000);
    expect(failure.message).toMatch(/^GET \/api\/mission-control\/tasks answered 503: Injected fault/);
  });

  it('survives a lost response: the retry with the same key writes exactly one message', async () => {
    const id = agent();
    const task = await client.createTask(id, { title: 'Lost answers' }, 'lost/task');
    await backend.faults([{ method: 'POST', path: '/api/mission-control/messages', mode: 'lose_response' }]);
    const message = { task_id: task.id, content: 'hello', actor_type: 'agent', agent_role: 'lead' };

    const lost = await failureOf(client.postMessage(id, message, 'lost/reply'));
    expect(lost.type).toBe(MissionControlError.Network);
    expect(lost.nonRetryable).toBe(false);
    expect((await backend.inspect(id.userId)).messages).toHaveLength(1); // the write did happen

    const retried = await client.postMessage(id, message, 'lost/reply');
    const { messages } = await backend.inspect(id.userId);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({
      id: retried.id,
      content: 'hello',
      actor_type: 'agent',
      agent_role: 'lead',
    });
  });

  it('gives up on a backend slower than the timeout with a retryable Network failure', async () => {
    const impatient = new MissionControlClient(backend.config(), { timeoutMs: 200 });
    await backend.faults([{ path: '/api/mission-control/tasks', mode: 'delay', delay_ms: SERVER_DELAY_MS }]);
    const started = Date.now();
    const failure = await failureOf(impatient.listTasks(agent()));
    expect(Date.now() - started).toBeLessThan(SERVER_DELAY_MS - 200);
    expect(failure.type).toBe(MissionControlError.Network);
    expect(failure.nonRetryable).toBe(false);
    expect(failure.message).toContain('no answer within 200 ms (timed out)');
    await untilServerIdle(started);
  });

  it('passes an aborted signal through as the caller’s own reason, not as a network failure', async () => {
    await backend.faults([{ path: '/api/mission-control/tasks', mode: 'delay', delay_ms: SERVER_DELAY_MS }]);
    const started = Date.now();
    const controller = new AbortController();
    const reason = new Error('activity cancelled');
    setTimeout(() => controller.abort(reason), 50);
    await expect(client.listTasks(agent(), {}, { signal: controller.signal })).rejects.toBe(reason);
    await untilServerIdle(started);
  });

  it('dispatch: lists undelivered notifications and acks one', async () => {
    const userId = uniqueUser();
    const { notification_id } = await backend.enqueueNotification({
      user_id: userId,
      session_key: `user:${userId}:lead`,
      content: 'ping',
    });
    const deliveries = await client.undeliveredRaw({ limitUsers: 1000, limitNotifications: 1000 });
    expect(deliveries).toContainEqual(
      expect.objectContaining({ notification_id, user_id: userId, content: 'ping' }),
    );

    await client.ackNotification(notification_id, userId);
    const after = await client.undeliveredRaw({ limitUsers: 1000, limitNotifications: 1000 });
    expect(after).not.toContainEqual(expect.objectContaining({ notification_id }));
    expect((await backend.inspect(userId)).notifications[0]).toMatchObject({
      notification_id,
      delivered: true,
    });

    const missing = await failureOf(client.ackNotification('ntf_missing', userId));
    expect(missing.type).toBe(MissionControlError.NotFound);
  });

  it('dispatch without INTERNAL_API_TOKEN fails clearly, and with a wrong one names the setting', async () => {
    const unconfigured = new MissionControlClient(backend.config({ internalToken: undefined }));
    const failure = await failureOf(unconfigured.undeliveredRaw({ limitUsers: 1, limitNotifications: 1 }));
    expect(failure.type).toBe(MissionControlError.NotConfigured);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(/^INTERNAL_API_TOKEN is not set/);

    const wrong = new MissionControlClient(backend.config({ internalToken: 'wrong-internal' }));
    const rejected = await failureOf(wrong.ackNotification('x', 'y'));
    expect(rejected.type).toBe(MissionControlError.Unauthorized);
    expect(rejected.message).toContain("check that INTERNAL_API_TOKEN matches the backend's");
    expect(rejected.message).not.toContain('wrong-internal');
  });

  it('posts heartbeat and standup as the agent', async () => {
    const id = agent();
    await expect(client.heartbeat(id)).resolves.toMatchObject({ status: 'ok', user_id: id.userId });
    await expect(client.standup(id, 'Europe/Berlin')).resolves.toMatchObject({ timezone: 'Europe/Berlin' });
  });

  it('creates a document on a task', async () => {
    const id = agent();
    const task = await client.createTask(id, { title: 'Docs' }, 'doc/task');
    const doc = await client.createDocument(
      id,
      { task_id: task.id, title: 'Plan', content: '1. do', doc_type: 'plan' },
      'doc/1',
    );
    expect(doc).toMatchObject({ task_id: task.id, title: 'Plan', doc_type: 'plan' });
    expect((await backend.inspect(id.userId)).documents).toEqual([
      expect.objectContaining({ id: doc.id, content: '1. do' }),
    ]);
  });

  it('encodes path segments built from user data', async () => {
    const failure = await failureOf(client.ackNotification('../../tasks?x=1', uniqueUser()));
    // Still the deliver route (its own 404 text), not a path that escaped it.
    expect(failure.type).toBe(MissionControlError.NotFound);
    expect(failure.details?.[0]).toMatchObject({ code: 'notification_not_found' });
  });
});
