import {
  builtinToolSpecs,
  listTools,
  MAX_TOOL_RESULT_BYTES,
  MissionControlClient,
  MissionControlError,
  runTool,
} from '../../../../src/clients/mission-control';
import { failureOf, startBackend, uniqueUser, type TestBackend } from './backend';

describe('model tools over mission-control-lite', () => {
  let backend: TestBackend;
  let client: MissionControlClient;
  beforeAll(async () => {
    backend = await startBackend();
    client = new MissionControlClient(backend.config());
  });
  afterAll(() => backend.close());

  const agent = () => ({ userId: uniqueUser(), role: 'writer' });
  const call = (name: string, args: unknown, idempotencyKey = `key-${uniqueUser()}`) => ({
    name,
    argumentsJson: typeof args === 'string' ? args : JSON.stringify(args),
    idempotencyKey,
  });

  it('describes the built-ins as OpenAI function tools with JSON Schema parameters', () => {
    const specs = builtinToolSpecs();
    expect(specs.map((s) => s.function.name)).toEqual([
      'list_tasks',
      'create_task',
      'post_message',
      'create_document',
    ]);
    const createTask = specs.find((s) => s.function.name === 'create_task')!;
    expect(createTask.type).toBe('function');
    expect(createTask.function.parameters).toMatchObject({
      type: 'object',
      required: ['title'],
      additionalProperties: false,
      properties: { title: { type: 'string' }, description: { type: 'string' }, status: { type: 'string' } },
    });
    expect(createTask.function.parameters).not.toHaveProperty('$schema');
  });

  it('lists the backend tools after the built-ins when capabilities offer tools', async () => {
    const names = (await listTools(client, agent())).map((t) => t.function.name);
    expect(names.slice(0, 4)).toEqual(['list_tasks', 'create_task', 'post_message', 'create_document']);
    expect(names).toEqual(expect.arrayContaining(['echo', 'add_numbers', 'word_count']));
    const echo = (await listTools(client, agent())).find((t) => t.function.name === 'echo')!;
    expect(echo.function.parameters).toMatchObject({ type: 'object', required: ['text'] });
  });

  it('create_task creates the task with the given key, once', async () => {
    const id = agent();
    const args = { title: 'Write report', description: 'Q3 numbers' };
    const outcome = await runTool(client, id, call('create_task', args, 'turn/tool:1:call_a'));
    expect(outcome.ok).toBe(true);
    const task = JSON.parse(outcome.content) as { id: string; title: string };
    expect(task).toMatchObject({ title: 'Write report', description: 'Q3 numbers' });

    const again = await runTool(client, id, call('create_task', args, 'turn/tool:1:call_a'));
    expect(JSON.parse(again.content)).toMatchObject({ id: task.id });
    expect((await backend.inspect(id.userId)).tasks).toHaveLength(1);

    const listed = await runTool(client, id, call('list_tasks', { limit: 10 }));
    expect(JSON.parse(listed.content)).toEqual({
      items: [expect.objectContaining({ id: task.id })],
      next_cursor: null,
    });
  });

  it('post_message posts as the agent with its role; create_document attaches a document', async () => {
    const id = agent();
    const task = JSON.parse((await runTool(client, id, call('create_task', { title: 'T' }))).content) as {
      id: string;
    };
    const posted = await runTool(client, id, call('post_message', { task_id: task.id, content: 'Done.' }));
    expect(posted.ok).toBe(true);
    const doc = await runTool(
      client,
      id,
      call('create_document', { task_id: task.id, title: 'Notes', content: '# n', doc_type: 'notes' }),
    );
    expect(doc.ok).toBe(true);
    const snapshot = await backend.inspect(id.userId);
    expect(snapshot.messages).toEqual([
      expect.objectContaining({ content: 'Done.', actor_type: 'agent', agent_role: 'writer' }),
    ]);
    expect(snapshot.documents).toEqual([expect.objectContaining({ title: 'Notes', doc_type: 'notes' })]);
  });

  it.each([
    ['missing title', 'create_task', {}, 'invalid arguments for create_task: title: Required'],
    [
      'wrong type',
      'create_task',
      { title: 5 },
      'invalid arguments for create_task: title: expected string, got number',
    ],
    [
      'unknown field',
      'create_task',
      { title: 'x', titel: 'y' },
      "invalid arguments for create_task: unknown field(s) 'titel'; remove them",
    ],
    [
      'missing task id',
      'post_message',
      { content: 'hi' },
      'invalid arguments for post_message: task_id: Required',
    ],
    [
      'limit out of range',
      'list_tasks',
      { limit: 500 },
      'invalid arguments for list_tasks: limit: Too big: expected number to be <=100',
    ],
    ['not an object', 'create_task', '[1]', 'arguments must be a JSON object, got an array'],
  ])('%s is a tool error the model can act on, and nothing is written', async (_case, name, args, error) => {
    const id = agent();
    const outcome = await runTool(client, id, call(name, args));
    expect(outcome).toEqual({ ok: false, error, content: JSON.stringify({ error }) });
    expect((await backend.inspect(id.userId)).tasks).toHaveLength(0);
  });

  it('bad JSON is a tool error', async () => {
    const outcome = await runTool(client, agent(), call('create_task', '{"title": "x"'));
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toMatch(/^arguments are not valid JSON: /);
  });

  it('runs backend tools and treats empty arguments as {}', async () => {
    const outcome = await runTool(client, agent(), call('add_numbers', { a: 2, b: 3 }));
    expect(outcome).toEqual({ ok: true, content: JSON.stringify({ sum: 5 }) });
    const counted = await runTool(client, agent(), call('word_count', { text: 'a b c' }));
    expect(JSON.parse(counted.content)).toMatchObject({ words: 3 });
    // word_count requires text, so "" reaches the backend as {} and comes back as its 400.
    const empty = await failureOf(runTool(client, agent(), call('word_count', '')));
    expect(empty.type).toBe(MissionControlError.BadRequest);
  });

  it('an unknown backend tool or bad backend arguments fail for good', async () => {
    const unknown = await failureOf(runTool(client, agent(), call('no_such_tool', {})));
    expect(unknown.type).toBe(MissionControlError.NotFound);
    expect(unknown.nonRetryable).toBe(true);
    expect(unknown.message).toContain(
      'POST /api/tools/no_such_tool answered 404: Tool "no_such_tool" does not exist',
    );

    const badArgs = await failureOf(runTool(client, agent(), call('add_numbers', { a: 'two', b: 3 })));
    expect(badArgs.type).toBe(MissionControlError.BadRequest);
    expect(badArgs.nonRetryable).toBe(true);
  });

  it('caps a 40 KB result to 16 KB with a visible note', async () => {
    const text = 'é'.repeat(20 * 1024); // 40 KB of two-byte characters
    const outcome = await runTool(client, agent(), call('echo', { text }));
    expect(outcome.ok).toBe(true);
    const bytes = Buffer.byteLength(outcome.content, 'utf8');
    expect(bytes).toBeLessThanOrEqual(MAX_TOOL_RESULT_BYTES);
    expect(bytes).toBeGreaterThan(MAX_TOOL_RESULT_BYTES - 200);
    expect(outcome.content.startsWith('{"text":"éé')).toBe(true);
    expect(outcome.content).toMatch(/\[truncated: showing \d+ of 40\d\d\d bytes/);
    expect(outcome.content).not.toContain('\uFFFD');
  });

  it("keeps tenants apart: user B cannot post to user A's task", async () => {
    const a = agent();
    const b = agent();
    const task = JSON.parse(
      (await runTool(client, a, call('create_task', { title: "A's task" }))).content,
    ) as { id: string };
    const failure = await failureOf(
      runTool(client, b, call('post_message', { task_id: task.id, content: 'intrusion' })),
    );
    expect(failure.type).toBe(MissionControlError.NotFound);
    expect(failure.nonRetryable).toBe(true);
    expect((await backend.inspect()).messages.filter((m) => m.content === 'intrusion')).toHaveLength(0);
  });
});
