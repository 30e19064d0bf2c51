import { type FastifyInstance } from 'fastify';
import { asAgent, buildTestServer, mintToken } from './test-helpers';

const TASKS = '/api/mission-control/tasks';
const MESSAGES = '/api/mission-control/messages';
const DOCUMENTS = '/api/mission-control/documents';

describe('mission-control-lite: tasks, messages, documents', () => {
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

  describe('tasks', () => {
    it('creates with status in_progress by default and lists in creation order', async () => {
      const a = await createTask(alice, {
        title: 'First',
        description: 'd',
        metadata: { type: 'agent_thread' },
      });
      const b = await createTask(alice, { title: 'Second', status: 'done' });
      expect(a).toMatchObject({
        title: 'First',
        status: 'in_progress',
        description: 'd',
        metadata: { type: 'agent_thread' },
      });
      expect(a.id).toMatch(/^task_/);
      expect(b).toMatchObject({ title: 'Second', status: 'done' });
      expect(b).not.toHaveProperty('description');
      const list = await asAgent(app, alice, 'GET', TASKS);
      expect(list.body.items.map((t: { id: string }) => t.id)).toEqual([a.id, b.id]);
      expect(list.body.next_cursor).toBeNull();
    });

    it('400 with field details for a bad body, never a 500', async () => {
      const missing = await asAgent(app, alice, 'POST', TASKS, { description: 'no title' });
      expect(missing.status).toBe(400);
      expect(missing.body.code).toBe('validation_error');
      expect(missing.body.error).toMatch(/title/);
      expect(missing.body.details.issues).toEqual([expect.objectContaining({ path: 'title' })]);

      const wrongTypes = await asAgent(app, alice, 'POST', TASKS, { title: 5, metadata: 'x' });
      expect(wrongTypes.status).toBe(400);
      expect(wrongTypes.body.details.issues.map((i: { path: string }) => i.path).sort()).toEqual([
        'metadata',
        'title',
      ]);

      const noBody = await asAgent(app, alice, 'POST', TASKS);
      expect(noBody.status).toBe(400);
      expect(noBody.body.error).toMatch(/Request body is missing/);

      for (const payload of ['[1,2]', 'null', '"text"', '{not json', '{"__proto__":{"x":1},"title":"t"}']) {
        const res = await app.inject({
          method: 'POST',
          url: TASKS,
          headers: { 'x-agent-token': alice, 'content-type': 'application/json' },
          payload,
        });
        expect([payload, res.statusCode]).toEqual([payload, 400]);
        expect(typeof res.json().error).toBe('string');
      }
    });

    it('walks 120 tasks in pages of 50/50/20 with no duplicates', async () => {
      for (let i = 0; i < 120; i++) await createTask(alice, { title: `t${i}` });
      await createTask(bob, { title: 'bob only' });
      const seen: string[] = [];
      const sizes: number[] = [];
      let cursor: string | null = null;
      do {
        const url: string = cursor
          ? `${TASKS}?limit=50&cursor=${encodeURIComponent(cursor)}`
          : `${TASKS}?limit=50`;
        const page = await asAgent(app, alice, 'GET', url);
        expect(page.status).toBe(200);
        sizes.push(page.body.items.length);
        seen.push(...page.body.items.map((t: { title: string }) => t.title));
        cursor = page.body.next_cursor;
      } while (cursor !== null);
      expect(sizes).toEqual([50, 50, 20]);
      expect(new Set(seen).size).toBe(120);
      expect(seen).toEqual(Array.from({ length: 120 }, (_, i) => `t${i}`));
    });

    it('defaults limit to 50 and accepts the bounds 1 and 100', async () => {
      for (let i = 0; i < 101; i++) await createTask(alice, { title: `t${i}` });
      expect((await asAgent(app, alice, 'GET', TASKS)).body.items).toHaveLength(50);
      expect((await asAgent(app, alice, 'GET', `${TASKS}?limit=1`)).body.items).toHaveLength(1);
      const max = await asAgent(app, alice, 'GET', `${TASKS}?limit=100`);
      expect(max.body.items).toHaveLength(100);
      expect(max.body.next_cursor).toEqual(expect.any(String));
    });

    it.each(['0', '101', '-1', 'abc', '2.5', ''])('400 for limit=%j', async (limit) => {
      const res = await asAgent(app, alice, 'GET', `${TASKS}?limit=${limit}`);
      expect(res.status).toBe(400);
      expect(res.body.details.issues[0].path).toBe('limit');
    });

    it.each(['garbage!', 'Zm9v', Buffer.from('{"v":1,"o":-3}').toString('base64url'), ''])(
      '400 for cursor=%j',
      async (cursor) => {
        const res = await asAgent(app, alice, 'GET', `${TASKS}?cursor=${encodeURIComponent(cursor)}`);
        expect(res.status).toBe(400);
        expect(res.body.code).toBe('invalid_cursor');
      },
    );
  });

  describe('messages and documents', () => {
    it('posts a message with defaults and the agent role', async () => {
      const task = await createTask(alice, { title: 'T' });
      const asUser = await asAgent(app, alice, 'POST', MESSAGES, { task_id: task.id, content: 'hello' });
      expect(asUser.status).toBe(200);
      expect(asUser.body).toMatchObject({
        task_id: task.id,
        content: 'hello',
        actor_type: 'user',
        agent_role: null,
      });
      const asAgentMsg = await asAgent(app, alice, 'POST', MESSAGES, {
        task_id: task.id,
        content: 'reply',
        actor_type: 'agent',
        attachments: { files: ['a.txt'] },
      });
      expect(asAgentMsg.body).toMatchObject({
        actor_type: 'agent',
        agent_role: 'lead',
        attachments: { files: ['a.txt'] },
      });
      const named = await asAgent(app, alice, 'POST', MESSAGES, {
        task_id: task.id,
        content: 'x',
        actor_type: 'agent',
        agent_role: 'researcher',
      });
      expect(named.body.agent_role).toBe('researcher');
    });

    it('400 for a bad message body', async () => {
      const res = await asAgent(app, alice, 'POST', MESSAGES, {
        task_id: 't',
        content: '',
        actor_type: 'robot',
      });
      expect(res.status).toBe(400);
      expect(res.body.details.issues.map((i: { path: string }) => i.path).sort()).toEqual([
        'actor_type',
        'content',
      ]);
    });

    it('creates a document with doc_type note by default', async () => {
      const task = await createTask(alice, { title: 'T' });
      const res = await asAgent(app, alice, 'POST', DOCUMENTS, {
        task_id: task.id,
        title: 'Notes',
        content: 'body',
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ task_id: task.id, title: 'Notes', doc_type: 'note' });
      expect(res.body.id).toMatch(/^doc_/);
      const plan = await asAgent(app, alice, 'POST', DOCUMENTS, {
        task_id: task.id,
        title: 'P',
        content: 'c',
        doc_type: 'plan',
      });
      expect(plan.body.doc_type).toBe('plan');
      expect((await asAgent(app, alice, 'POST', DOCUMENTS, { task_id: task.id, content: 'c' })).status).toBe(
        400,
      );
    });

    it('404 for an unknown task', async () => {
      const msg = await asAgent(app, alice, 'POST', MESSAGES, { task_id: 'task_missing', content: 'x' });
      expect(msg.status).toBe(404);
      expect(msg.body.code).toBe('task_not_found');
      const doc = await asAgent(app, alice, 'POST', DOCUMENTS, {
        task_id: 'task_missing',
        title: 't',
        content: 'c',
      });
      expect(doc.status).toBe(404);
    });
  });
});
