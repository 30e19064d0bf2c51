import { type FastifyInstance } from 'fastify';
import { asAgent, asInternal, buildTestServer, mintToken } from './test-helpers';

const TASKS = '/api/mission-control/tasks';
const MESSAGES = '/api/mission-control/messages';
const DOCUMENTS = '/api/mission-control/documents';

describe('mission-control-lite: idempotency and tenant isolation', () => {
  let app: FastifyInstance;
  let alice: string;
  let bob: string;
  beforeEach(async () => {
    app = await buildTestServer();
    alice = await mintToken({ userId: 'alice', role: 'lead' });
    bob = await mintToken({ userId: 'bob', role: 'writer' });
  });
  afterEach(async () => {
    await app.close();
  });

  async function createTask(token: string, body: Record<string, unknown>) {
    const res = await asAgent(app, token, 'POST', TASKS, body);
    expect(res.status).toBe(200);
    return res.body as { id: string; title: string; status: string; description?: string };
  }

  describe('idempotency', () => {
    it('same key and body → the original response; other body → 409', async () => {
      const first = await asAgent(app, alice, 'POST', TASKS, { title: 'Plan', idempotency_key: 'k1' });
      // Same content with keys in another order is the same request.
      const again = await asAgent(app, alice, 'POST', TASKS, { idempotency_key: 'k1', title: 'Plan' });
      expect(again.status).toBe(200);
      expect(again.body).toEqual(first.body);
      expect(again.headers['idempotent-replayed']).toBe('true');
      const conflict = await asAgent(app, alice, 'POST', TASKS, { title: 'Other', idempotency_key: 'k1' });
      expect(conflict.status).toBe(409);
      expect(conflict.body.code).toBe('idempotency_conflict');
      expect(conflict.body.error).toMatch(/k1/);
      expect((await asAgent(app, alice, 'GET', TASKS)).body.items).toHaveLength(1);
    });

    it('keys are scoped per endpoint', async () => {
      const task = await createTask(alice, { title: 'T', idempotency_key: 'shared' });
      const msg = await asAgent(app, alice, 'POST', MESSAGES, {
        task_id: task.id,
        content: 'hi',
        idempotency_key: 'shared',
      });
      expect(msg.status).toBe(200);
      expect(msg.body.id).toMatch(/^msg_/);
      const doc = await asAgent(app, alice, 'POST', DOCUMENTS, {
        task_id: task.id,
        title: 'D',
        content: 'c',
        idempotency_key: 'shared',
      });
      expect(doc.status).toBe(200);
    });

    it('keys are scoped per user', async () => {
      const a = await createTask(alice, { title: 'Same', idempotency_key: 'k' });
      const b = await createTask(bob, { title: 'Same', idempotency_key: 'k' });
      expect(a.id).not.toBe(b.id);
      const all = await asInternal(app, 'GET', '/api/mission-control/_inspect');
      expect(all.body.tasks).toHaveLength(2);
    });

    it('replays messages and documents too, and a failed create does not burn the key', async () => {
      const ghost = await asAgent(app, alice, 'POST', MESSAGES, {
        task_id: 'task_nope',
        content: 'x',
        idempotency_key: 'm',
      });
      expect(ghost.status).toBe(404);
      const task = await createTask(alice, { title: 'T' });
      const m1 = await asAgent(app, alice, 'POST', MESSAGES, {
        task_id: task.id,
        content: 'x',
        idempotency_key: 'm',
      });
      const m2 = await asAgent(app, alice, 'POST', MESSAGES, {
        task_id: task.id,
        content: 'x',
        idempotency_key: 'm',
      });
      expect(m2.body.id).toBe(m1.body.id);
      const m3 = await asAgent(app, alice, 'POST', MESSAGES, {
        task_id: task.id,
        content: 'y',
        idempotency_key: 'm',
      });
      expect(m3.status).toBe(409);
      const doc = {
        task_id: task.id,
        title: 'Plan',
        content: 'steps',
        doc_type: 'plan',
        idempotency_key: 'd',
      };
      const d1 = await asAgent(app, alice, 'POST', DOCUMENTS, doc);
      const d2 = await asAgent(app, alice, 'POST', DOCUMENTS, doc);
      expect(d2.body.id).toBe(d1.body.id);
      expect((await asAgent(app, alice, 'POST', DOCUMENTS, { ...doc, content: 'other' })).status).toBe(409);
      const seen = await asInternal(app, 'GET', '/api/mission-control/_inspect?user_id=alice');
      expect(seen.body.messages).toHaveLength(1);
      expect(seen.body.documents).toHaveLength(1);
    });
  });

  describe('tenant isolation', () => {
    it("user B cannot list, message or document user A's task", async () => {
      const task = await createTask(alice, { title: 'Secret plan' });
      expect((await asAgent(app, bob, 'GET', TASKS)).body.items).toEqual([]);
      const msg = await asAgent(app, bob, 'POST', MESSAGES, { task_id: task.id, content: 'hijack' });
      expect(msg.status).toBe(404);
      expect(msg.body.error).not.toMatch(/alice/);
      const doc = await asAgent(app, bob, 'POST', DOCUMENTS, { task_id: task.id, title: 't', content: 'c' });
      expect(doc.status).toBe(404);
      const stored = await asInternal(app, 'GET', '/api/mission-control/_inspect');
      expect(stored.body.messages).toEqual([]);
      expect(stored.body.documents).toEqual([]);
      expect((await asAgent(app, alice, 'GET', TASKS)).body.items).toHaveLength(1);
    });

    it("a cursor from one user's list shows another user only their own tasks", async () => {
      for (let i = 0; i < 3; i++) await createTask(alice, { title: `a${i}` });
      for (let i = 0; i < 3; i++) await createTask(bob, { title: `b${i}` });
      const page = await asAgent(app, alice, 'GET', `${TASKS}?limit=1`);
      const other = await asAgent(app, bob, 'GET', `${TASKS}?limit=5&cursor=${page.body.next_cursor}`);
      expect(other.body.items.map((t: { title: string }) => t.title)).toEqual(['b1', 'b2']);
    });
  });
});
