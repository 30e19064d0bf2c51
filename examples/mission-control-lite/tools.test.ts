import { type FastifyInstance } from 'fastify';
import { asAgent, asInternal, buildTestServer, mintToken } from './test-helpers';

describe('mission-control-lite: tools', () => {
  let app: FastifyInstance;
  let token: string;
  beforeEach(async () => {
    app = await buildTestServer();
    token = await mintToken();
  });
  afterEach(async () => {
    await app.close();
  });

  it('lists tools with JSON Schema parameters', async () => {
    const res = await asAgent(app, token, 'GET', '/api/tools');
    expect(res.status).toBe(200);
    const names = res.body.tools.map((t: { name: string }) => t.name);
    expect(names).toEqual(['echo', 'add_numbers', 'word_count', 'publish_announcement']);
    const flagged = res.body.tools.filter((t: { requires_approval?: boolean }) => t.requires_approval);
    expect(flagged.map((t: { name: string }) => t.name)).toEqual(['publish_announcement']);
    const add = res.body.tools.find((t: { name: string }) => t.name === 'add_numbers');
    expect(add.description).toEqual(expect.any(String));
    expect(add.parameters).toEqual({
      type: 'object',
      properties: {
        a: { type: 'number', description: 'First addend' },
        b: { type: 'number', description: 'Second addend' },
      },
      required: ['a', 'b'],
      additionalProperties: false,
    });
  });

  it('executes each tool deterministically', async () => {
    const echo = await asAgent(app, token, 'POST', '/api/tools/echo', { arguments: { text: 'hi there' } });
    expect(echo).toMatchObject({ status: 200, body: { text: 'hi there' } });
    const add = await asAgent(app, token, 'POST', '/api/tools/add_numbers', { arguments: { a: 2, b: 40.5 } });
    expect(add).toMatchObject({ status: 200, body: { sum: 42.5 } });
    const count = await asAgent(app, token, 'POST', '/api/tools/word_count', {
      arguments: { text: '  one two\nthree ' },
      trace_id: 'extra fields such as trace_id are ignored',
    });
    expect(count).toMatchObject({ status: 200, body: { words: 3, characters: 16 } });
  });

  it('404 for an unknown tool', async () => {
    const res = await asAgent(app, token, 'POST', '/api/tools/rm_rf', { arguments: {} });
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('tool_not_found');
    expect(res.body.error).toMatch(/echo, add_numbers, word_count, publish_announcement/);
  });

  it('400 with details for bad arguments', async () => {
    const wrongType = await asAgent(app, token, 'POST', '/api/tools/add_numbers', {
      arguments: { a: '1', b: 2 },
    });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.details.issues).toEqual([expect.objectContaining({ path: 'arguments.a' })]);
    const missing = await asAgent(app, token, 'POST', '/api/tools/echo', {});
    expect(missing.status).toBe(400);
    expect(missing.body.details.issues[0].path).toBe('arguments.text');
    const unknownArg = await asAgent(app, token, 'POST', '/api/tools/echo', {
      arguments: { text: 'x', extra: 1 },
    });
    expect(unknownArg.status).toBe(400);
    const notObject = await asAgent(app, token, 'POST', '/api/tools/echo', { arguments: 'text' });
    expect(notObject.status).toBe(400);
    expect(notObject.body.details.issues[0].path).toBe('arguments');
  });

  it('publish_announcement writes once per Idempotency-Key; a reused key with other arguments is a 409', async () => {
    const publish = (key: string, title: string) =>
      app.inject({
        method: 'POST',
        url: '/api/tools/publish_announcement',
        headers: { 'x-agent-token': token, 'idempotency-key': key },
        payload: { arguments: { title, body: 'We ship on Friday.' } },
      });
    const first = await publish('k1', 'Launch');
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({
      announcement_id: expect.stringMatching(/^ann_/),
      published_at: expect.any(String),
    });
    const again = await publish('k1', 'Launch');
    expect(again.json()).toEqual(first.json());
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect((await publish('k1', 'Other title')).statusCode).toBe(409);
    await publish('k2', 'Second');
    const seen = await asInternal(app, 'GET', '/api/mission-control/_inspect?user_id=u1');
    expect(seen.body.announcements.map((a: { title: string }) => a.title)).toEqual(['Launch', 'Second']);
  });
});
