/**
 * The model/tool loop (docs/architecture.md, "The AgentTurn step shape", step 2): tool calls become backend writes
 * exactly once, their results go back to the model, mistakes (made-up tools, bad arguments, backend
 * refusals) reach the model as tool errors instead of crashing the turn, and
 * CLASPER_MAX_TOOL_ITERATIONS ends a model that never stops calling tools.
 */
import type { FakeStep, RecordedRequest } from '../support/fake-openai';
import { sendBody } from '../support/stack';
import { capNote } from '../../src/shared/turn';
import { createTask, eventually, messagesOf, send, useStack } from './helpers';

const MAX_ITERATIONS = 3;

/** The tool messages of a request, by tool_call_id. */
function toolResults(req: RecordedRequest | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of messagesOf(req as RecordedRequest))
    if (m.role === 'tool') out[String(m.tool_call_id)] = String(m.content);
  return out;
}

function lastMessage(req: RecordedRequest) {
  return messagesOf(req).at(-1);
}

describe('tool loop', () => {
  const stack = useStack({ env: { CLASPER_MAX_TOOL_ITERATIONS: String(MAX_ITERATIONS) } });

  it('create_task, then post_message on the created task, then an answer: each written once, results fed back', async () => {
    const user = 'tooler';
    stack().llm.script({
      toolCalls: [{ id: 'call_ct', name: 'create_task', arguments: { title: 'Write report' } }],
    });
    // The second answer depends on the first tool's result: post on the task the tool created.
    stack().llm.respond((req): FakeStep | undefined => {
      const last = lastMessage(req);
      if (last?.role === 'tool' && last.tool_call_id === 'call_ct') {
        const created = JSON.parse(String(last.content)) as { id: string };
        return {
          toolCalls: [
            {
              id: 'call_pm',
              name: 'post_message',
              arguments: { task_id: created.id, content: 'Report task is ready' },
            },
          ],
        };
      }
      if (last?.role === 'tool' && last.tool_call_id === 'call_pm')
        return { text: 'Created the task and posted on it.' };
      return undefined;
    });

    const res = await send(
      stack(),
      sendBody({ user_id: user, session_key: `user:${user}:lead`, task_title: 'Tool thread' }),
    );
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      response: 'Created the task and posted on it.',
      iterations: 3,
      capped: false,
      tool_calls: [
        { name: 'create_task', ok: true },
        { name: 'post_message', ok: true },
      ],
    });

    const data = await stack().backend.inspect(user);
    const created = data.tasks.filter((t) => t.title === 'Write report');
    expect(created).toHaveLength(1);
    const createdId = created[0]?.id;
    expect(data.tasks).toHaveLength(2); // the turn's own task and the created one
    expect(data.messages).toEqual([
      expect.objectContaining({
        task_id: createdId,
        content: 'Report task is ready',
        actor_type: 'agent',
        agent_role: 'lead',
      }),
      expect.objectContaining({
        task_id: body.task_id,
        content: 'Created the task and posted on it.',
        actor_type: 'agent',
      }),
    ]);

    const requests = stack().llm.chatRequests();
    expect(requests).toHaveLength(3);
    // Tools were offered, and each tool's result went back to the model after the call that asked for it.
    expect(requests[0]?.body?.tools?.map((t) => t.function.name)).toEqual(
      expect.arrayContaining([
        'list_tasks',
        'create_task',
        'post_message',
        'create_document',
        'echo',
        'add_numbers',
      ]),
    );
    const second = messagesOf(requests[1] as RecordedRequest);
    expect(second.at(-2)).toMatchObject({
      role: 'assistant',
      tool_calls: [{ id: 'call_ct', type: 'function', function: { name: 'create_task' } }],
    });
    expect(JSON.parse(toolResults(requests[1]).call_ct ?? 'null')).toMatchObject({
      id: createdId,
      title: 'Write report',
    });
    expect(JSON.parse(toolResults(requests[2]).call_pm ?? 'null')).toMatchObject({
      task_id: createdId,
      content: 'Report task is ready',
    });
  });

  it('a backend tool runs through POST /api/tools/{name} and its result reaches the model', async () => {
    stack().llm.script(
      { toolCalls: [{ id: 'call_add', name: 'add_numbers', arguments: { a: 2, b: 40 } }] },
      { text: 'The sum is 42.' },
    );
    const res = await send(stack(), sendBody({ user_id: 'adder', session_key: 'user:adder:lead' }));
    expect(res.statusCode).toBe(200);
    expect(res.json().tool_calls).toEqual([{ name: 'add_numbers', ok: true }]);
    expect(JSON.parse(toolResults(stack().llm.lastRequest()).call_add ?? 'null')).toEqual({ sum: 42 });
  });

  it('unknown tools, invalid arguments and backend refusals reach the model as tool errors and the turn completes', async () => {
    const user = 'mistakes';
    stack().llm.script(
      {
        toolCalls: [
          { id: 'call_unknown', name: 'launch_rockets', arguments: { count: 3 } },
          { id: 'call_badargs', name: 'create_task', arguments: { title: 42 } },
          { id: 'call_badjson', name: 'post_message', arguments: '{not json' },
          { id: 'call_refused', name: 'add_numbers', arguments: { a: 'two', b: 2 } },
        ],
      },
      { text: 'Sorry, I could not do that.' },
    );
    const res = await send(
      stack(),
      sendBody({ user_id: user, session_key: `user:${user}:lead`, task_title: 'Mistakes' }),
    );
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ response: 'Sorry, I could not do that.', iterations: 2, capped: false });
    expect(body.tool_calls).toEqual([
      { name: 'launch_rockets', ok: false, error: expect.stringContaining("unknown tool 'launch_rockets'") },
      { name: 'create_task', ok: false, error: expect.stringContaining('invalid arguments for create_task') },
      { name: 'post_message', ok: false, error: expect.stringContaining('not valid JSON') },
      { name: 'add_numbers', ok: false, error: expect.stringContaining('answered 400') },
    ]);

    const results = toolResults(stack().llm.lastRequest());
    const errorOf = (id: string) => (JSON.parse(results[id] ?? '{}') as { error?: string }).error ?? '';
    expect(errorOf('call_unknown')).toMatch(/unknown tool 'launch_rockets'; available tools: .*create_task/);
    expect(errorOf('call_badargs')).toBe(
      'invalid arguments for create_task: title: expected string, got number',
    );
    expect(errorOf('call_badjson')).toMatch(/^arguments are not valid JSON/);
    expect(errorOf('call_refused')).toMatch(
      /^tool add_numbers failed: POST \/api\/tools\/add_numbers answered 400/,
    );

    // Nothing was written by the failed calls: only the turn's task and its reply.
    const data = await stack().backend.inspect(user);
    expect(data.tasks.map((t) => t.title)).toEqual(['Mistakes']);
    expect(data.messages.map((m) => m.content)).toEqual(['Sorry, I could not do that.']);
  });

  it('tool calls that repeat an id (or have none) all run, each answered by its own tool result', async () => {
    stack().llm.script(
      {
        toolCalls: [
          { id: 'call_same', name: 'add_numbers', arguments: { a: 1, b: 1 } },
          { id: 'call_same', name: 'add_numbers', arguments: { a: 2, b: 2 } },
          { id: '', name: 'add_numbers', arguments: { a: 3, b: 3 } },
          { id: '', name: 'add_numbers', arguments: { a: 4, b: 4 } },
        ],
      },
      { text: 'Four sums.' },
    );
    // Asynchronous, so a turn stuck on duplicate activity ids fails this test in seconds, not at the send timeout.
    const accepted = await send(stack(), sendBody({ user_id: 'dupids', session_key: 'user:dupids:lead' }), {
      query: 'wait=false',
    });
    expect(accepted.statusCode).toBe(202);
    const done = await eventually(async () => {
      const poll = (await stack().api.inject({ method: 'GET', url: accepted.json().status_url })).json();
      return poll.status === 'running' ? undefined : poll;
    }, 8_000);
    expect(done.status).toBe('completed');
    expect(done.result).toMatchObject({ response: 'Four sums.', iterations: 2 });
    expect(done.result.tool_calls).toEqual(
      Array.from({ length: 4 }, () => ({ name: 'add_numbers', ok: true })),
    );

    const messages = messagesOf(stack().llm.lastRequest());
    const assistant = messages.find((m) => m.role === 'assistant') as { tool_calls: { id: string }[] };
    const ids = assistant.tool_calls.map((c) => c.id);
    expect(new Set(ids).size).toBe(4);
    // Every call is answered once, by id, with its own result.
    const results = messages.filter((m) => m.role === 'tool');
    expect(results.map((m) => m.tool_call_id)).toEqual(ids);
    expect(results.map((m) => JSON.parse(String(m.content)))).toEqual([
      { sum: 2 },
      { sum: 4 },
      { sum: 6 },
      { sum: 8 },
    ]);
  });

  it('a tool write whose response is lost is retried with its idempotency key and written once', async () => {
    const user = 'lossy';
    const taskId = await createTask(stack(), user, 'Lossy thread');
    const fault = await stack().backend.internal('POST', '/api/mission-control/_faults', {
      rules: [{ method: 'POST', path: '/api/mission-control/messages', mode: 'lose_response', times: 1 }],
    });
    expect(fault.status).toBe(200);
    stack().llm.script(
      {
        toolCalls: [
          { id: 'call_lossy', name: 'post_message', arguments: { task_id: taskId, content: 'Posted once' } },
        ],
      },
      { text: 'Done.' },
    );
    const res = await send(
      stack(),
      sendBody({ user_id: user, session_key: `user:${user}:lead`, task_id: taskId }),
    );
    expect(res.statusCode).toBe(200);
    expect(res.json().tool_calls).toEqual([{ name: 'post_message', ok: true }]);
    const faults = (await (await stack().backend.internal('GET', '/api/mission-control/_faults')).json()) as {
      rules: unknown[];
    };
    expect(faults.rules).toEqual([]); // the lost response really happened
    const data = await stack().backend.inspect(user);
    expect(data.messages.map((m) => m.content)).toEqual(['Posted once', 'Done.']);
  });

  it('the iteration cap ends a model that keeps calling tools, with a note, and still posts one reply', async () => {
    const user = 'looper';
    const listCall = (n: number, text?: string): FakeStep => ({
      text,
      toolCalls: [{ id: `call_loop${n}`, name: 'list_tasks', arguments: { limit: 1 } }],
    });
    stack().llm.script(listCall(1), listCall(2), listCall(3, 'Still looking.'));
    const res = await send(
      stack(),
      sendBody({ user_id: user, session_key: `user:${user}:lead`, task_title: 'Loop' }),
    );
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ capped: true, iterations: MAX_ITERATIONS });
    expect(body.response).toBe(`Still looking.\n\n${capNote(MAX_ITERATIONS)}`);
    expect(body.response).toContain('CLASPER_MAX_TOOL_ITERATIONS');
    expect(body.tool_calls).toHaveLength(MAX_ITERATIONS);
    expect(stack().llm.chatRequests()).toHaveLength(MAX_ITERATIONS);

    const data = await stack().backend.inspect(user);
    expect(data.messages).toEqual([
      expect.objectContaining({ task_id: body.task_id, content: body.response }),
    ]);
  });
});
