import { DEMO_BANNER, DEMO_MODEL_NAME, demoCallModel } from '../../../../src/clients/model/demo-model';
import type { CallModelInput, ChatMessage, ToolSpec } from '../../../../src/shared/types';

const tool = (name: string): ToolSpec => ({
  type: 'function',
  function: { name, description: name, parameters: { type: 'object' } },
});
const TOOLS = [tool('list_tasks'), tool('create_task'), tool('post_message')];
const system: ChatMessage = { role: 'system', content: 'You are the lead.' };

function call(messages: ChatMessage[], extra: Partial<CallModelInput> = {}) {
  return demoCallModel({ messages, tools: TOOLS, tier: 'default', ...extra });
}

/** Plays the workflow's part: appends the model's tool calls and the given results. */
function withResults(
  messages: ChatMessage[],
  result: ReturnType<typeof call>,
  contents: string[],
): ChatMessage[] {
  return [
    ...messages,
    { role: 'assistant', content: result.content, tool_calls: result.toolCalls },
    ...result.toolCalls.map((c, i) => ({
      role: 'tool' as const,
      tool_call_id: c.id,
      content: contents[i] ?? '{}',
    })),
  ];
}

describe('offline demo model', () => {
  it('answers a plain message with a bannered 3-step plan, deterministically', () => {
    const messages: ChatMessage[] = [
      system,
      { role: 'user', content: 'Launch the new pricing page.\nIt should be done by Friday.' },
    ];
    const a = call(messages);
    expect(a.model).toBe(DEMO_MODEL_NAME);
    expect(a.toolCalls).toEqual([]);
    expect(a.finishReason).toBe('stop');
    expect(a.content?.startsWith(DEMO_BANNER)).toBe(true);
    expect(a.content).toContain('Launch the new pricing page');
    expect(a.content).toMatch(/\n1\. .+\n2\. .+\n3\. .+$/);
    expect(a.cost).toBeNull();
    expect(call(messages)).toEqual(a);
  });

  it('counts usage as characters / 4', () => {
    const a = call([{ role: 'user', content: 'x'.repeat(40) }]);
    expect(a.usage.prompt_tokens).toBe(10);
    expect(a.usage.completion_tokens).toBe(Math.ceil((a.content ?? '').length / 4));
    expect(a.usage.total_tokens).toBe(a.usage.prompt_tokens + a.usage.completion_tokens);
  });

  it.each([
    ['Please create a task called "Write report" for me', 'Write report'],
    ["Create a task 'Ship v2'", 'Ship v2'],
    ['create task titled Quarterly review, then tell me', 'Quarterly review'],
    ['Could you create a new task named Fix login and notify the team', 'Fix login'],
  ])('creates a task from %j', (content, title) => {
    const a = call([system, { role: 'user', content }]);
    expect(a.content).toBeNull();
    expect(a.finishReason).toBe('tool_calls');
    expect(a.toolCalls).toEqual([
      {
        id: expect.stringMatching(/^call_demo_/),
        type: 'function',
        function: { name: 'create_task', arguments: JSON.stringify({ title }) },
      },
    ]);
  });

  it('does not call a tool it was not offered, or without a title', () => {
    expect(call([{ role: 'user', content: 'Create a task called "X"' }], { tools: [] }).toolCalls).toEqual(
      [],
    );
    expect(call([{ role: 'user', content: 'Create a task please' }]).toolCalls).toEqual([]);
  });

  it('creates a task, posts a note on it, then summarises', () => {
    let messages: ChatMessage[] = [
      system,
      { role: 'user', content: "Create a task called 'Write report' and post a note saying 'Started on it'" },
    ];
    const first = call(messages);
    expect(first.toolCalls[0]?.function.name).toBe('create_task');

    messages = withResults(messages, first, [
      JSON.stringify({ id: 't-42', title: 'Write report', status: 'todo' }),
    ]);
    const second = call(messages);
    expect(second.toolCalls).toHaveLength(1);
    expect(second.toolCalls[0]?.function.name).toBe('post_message');
    expect(JSON.parse(second.toolCalls[0]?.function.arguments ?? '')).toEqual({
      task_id: 't-42',
      content: 'Started on it',
    });
    expect(second.toolCalls[0]?.id).not.toBe(first.toolCalls[0]?.id);

    messages = withResults(messages, second, [
      JSON.stringify({ id: 'm-1', task_id: 't-42', content: 'Started on it' }),
    ]);
    const third = call(messages);
    expect(third.toolCalls).toEqual([]);
    expect(third.content?.startsWith(DEMO_BANNER)).toBe(true);
    expect(third.content).toContain('Created task “Write report” (id t-42)');
    expect(third.content).toContain('Posted a message on task t-42');
  });

  it('skips post_message when no task id is known', () => {
    const a = call([{ role: 'user', content: 'Send a message to the team: we ship today' }]);
    expect(a.toolCalls).toEqual([]);
    expect(a.content).toContain('Plan for');
  });

  it('uses a task created earlier in the conversation for a later note', () => {
    let messages: ChatMessage[] = [{ role: 'user', content: 'Create a task called "Alpha"' }];
    const first = call(messages);
    messages = withResults(messages, first, ['{"id":7,"title":"Alpha"}']);
    messages = [
      ...messages,
      { role: 'assistant', content: 'Done.' },
      { role: 'user', content: 'Now post a note: kickoff at 10' },
    ];
    const a = call(messages);
    expect(a.toolCalls[0]?.function.name).toBe('post_message');
    expect(JSON.parse(a.toolCalls[0]?.function.arguments ?? '')).toEqual({
      task_id: 7,
      content: 'kickoff at 10',
    });
  });

  it('reports a failed tool in its summary', () => {
    let messages: ChatMessage[] = [{ role: 'user', content: 'Create a task called "Beta"' }];
    const first = call(messages);
    messages = withResults(messages, first, ['create_task failed: the backend answered 500']);
    const a = call(messages);
    expect(a.toolCalls).toEqual([]);
    expect(a.content).toContain(
      'Tried to create task “Beta”, but it failed: create_task failed: the backend answered 500',
    );
  });

  it('answers a heartbeat checklist with exactly HEARTBEAT_OK', () => {
    expect(
      call([{ role: 'user', content: '- Check open tasks\nIf nothing needs attention, reply HEARTBEAT_OK.' }])
        .content,
    ).toBe('HEARTBEAT_OK');
  });

  it('answers JSON when asked for JSON', () => {
    const a = call([{ role: 'user', content: 'Summarise my day' }], { json: true });
    expect(JSON.parse(a.content ?? '')).toMatchObject({ demo: true });
  });

  it('copes with no user message at all', () => {
    const a = call([system]);
    expect(a.content?.startsWith(DEMO_BANNER)).toBe(true);
  });

  it('asks for publish_announcement (a tool that waits for approval) when offered, once per turn', () => {
    const request = 'Please announce "Launch moved to Friday" to the team';
    const messages: ChatMessage[] = [system, { role: 'user', content: request }];
    const a = call(messages, { tools: [...TOOLS, tool('publish_announcement')] });
    expect(a.toolCalls).toHaveLength(1);
    expect(a.toolCalls[0]?.function.name).toBe('publish_announcement');
    expect(JSON.parse(a.toolCalls[0]?.function.arguments ?? '{}')).toEqual({
      title: 'Launch moved to Friday',
      body: request,
    });
    const after = call(withResults(messages, a, ['{"error":"denied by reviewer: not yet"}']), {
      tools: [...TOOLS, tool('publish_announcement')],
    });
    expect(after.toolCalls).toEqual([]);
    // Not offered (a backend without the tool): a plain answer.
    expect(call(messages).toolCalls).toEqual([]);
  });
});
