import { type FastifyInstance } from 'fastify';
import { asAgent, buildTestServer, mintToken } from './test-helpers';

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
    expect(names).toEqual(['echo', 'add_numbers', 'word_count']);
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
    expect(res.body.error).toMatch(/echo, add_numbers, word_count/);
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
});
