/**
 * POST /llm-task (README.md, "Other endpoints"): one JSON value from the model, checked with ajv against the
 * caller's JSON Schema in an activity. A bad answer gets one more model call with the problem fed
 * back; a second bad answer is a 502 with the reason (`LlmTask.InvalidOutput`). max_tokens reaches
 * the model (the original ignored it), and a schema ajv cannot compile is a 400 before anything runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { REPO_ROOT } from '../../scripts/lib/temporal-dev-server';
import { messagesOf, useStack } from './helpers';

const CHEAP = 'gpt-4.1-mini';

const TASK_SCHEMA = {
  type: 'object',
  properties: {
    title: { type: 'string', minLength: 1 },
    priority: { type: 'integer', minimum: 1, maximum: 5 },
    due: { type: 'string', format: 'date' },
  },
  required: ['title', 'priority'],
  additionalProperties: false,
};

describe('POST /llm-task', () => {
  const stack = useStack({ env: { LLM_MODEL_CHEAP: CHEAP } });

  const task = (payload: Record<string, unknown>) =>
    stack().api.inject({ method: 'POST', url: '/llm-task', payload });

  it('a valid answer: the parsed output, validated, with usage and cost; the prompt carries input and schema', async () => {
    const output = { title: 'Write the launch brief', priority: 2, due: '2026-07-01' };
    stack().llm.script({
      text: JSON.stringify(output),
      usage: { prompt_tokens: 100, completion_tokens: 20 },
    });
    const res = await task({
      prompt: 'Turn this request into a task.',
      input: { request: 'brief by July' },
      schema: TASK_SCHEMA,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      status: 'ok',
      output,
      usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 },
      cost: expect.any(Number),
      validated: true,
      model: 'gpt-4o-mini',
    });

    const request = stack().llm.lastRequest();
    expect(request.body?.response_format).toEqual({ type: 'json_object' });
    expect(request.body?.temperature).toBe(0.3);
    expect(request.body?.max_tokens).toBeUndefined();
    const [system, user] = messagesOf(request);
    expect(String(system?.content)).toContain('single JSON value only');
    expect(String(system?.content)).toContain('"additionalProperties": false');
    expect(user?.content).toBe(
      'Turn this request into a task.\n\nInput:\n{\n  "request": "brief by July"\n}',
    );
  });

  it('max_tokens and temperature reach the model request', async () => {
    stack().llm.script({ text: '{"ok": true}' });
    const res = await task({ prompt: 'Say ok.', max_tokens: 123, temperature: 1.5 });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ output: { ok: true }, validated: false });
    expect(stack().llm.lastRequest().body).toMatchObject({ max_tokens: 123, temperature: 1.5 });
  });

  it('an answer that fails the schema is retried once with the problem fed back, and the second answer is used', async () => {
    stack().llm.script(
      { text: '{"title": "Brief", "priority": 9}', usage: { prompt_tokens: 10, completion_tokens: 5 } },
      { text: '{"title": "Brief", "priority": 3}', usage: { prompt_tokens: 30, completion_tokens: 5 } },
    );
    const res = await task({ prompt: 'Make a task.', schema: TASK_SCHEMA });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      output: { title: 'Brief', priority: 3 },
      validated: true,
      usage: { prompt_tokens: 40, completion_tokens: 10, total_tokens: 50 },
    });
    const requests = stack().llm.chatRequests();
    expect(requests).toHaveLength(2);
    const retry = messagesOf(requests[1]!);
    expect(retry.slice(2)).toEqual([
      { role: 'assistant', content: '{"title": "Brief", "priority": 9}' },
      { role: 'user', content: expect.stringContaining('/priority must be <= 5') },
    ]);
  });

  it('an answer that is not JSON is retried the same way; a fenced JSON answer is accepted', async () => {
    stack().llm.script(
      { text: 'Sure! Here is your task: title Brief' },
      { text: '```json\n{"title": "Brief", "priority": 1}\n```' },
    );
    const res = await task({ prompt: 'Make a task.', schema: TASK_SCHEMA });
    expect(res.statusCode).toBe(200);
    expect(res.json().output).toEqual({ title: 'Brief', priority: 1 });
    const feedback = messagesOf(stack().llm.chatRequests()[1]!).at(-1);
    expect(String(feedback?.content)).toContain('the answer is not valid JSON');
  });

  it('two bad answers: 502 with the reason, and the workflow failed as LlmTask.InvalidOutput', async () => {
    stack().llm.script({ text: '{"title": ""}' }, { text: '{"title": "", "priority": "high"}' });
    const res = await task({ prompt: 'Make a task.', schema: TASK_SCHEMA });
    expect(res.statusCode).toBe(502);
    const body = res.json();
    expect(body.error).toMatch(
      /^LLM task failed: the model's answer was unusable after 2 attempts: the answer does not match the schema: /,
    );
    expect(body.error).toContain('/title must NOT have fewer than 1 characters');
    expect(body.error).toContain('/priority must be integer');
    expect(body.details.workflow_id).toMatch(/^llm-task\/[0-9a-f-]{36}$/);
    expect(stack().llm.chatRequests()).toHaveLength(2);

    const failure = await stack()
      .client.workflow.getHandle(body.details.workflow_id)
      .result()
      .catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const cause = (failure as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect(cause).toMatchObject({ type: 'LlmTask.InvalidOutput', nonRetryable: true });
  });

  it('a schema ajv cannot use is a 400 before any model call', async () => {
    for (const schema of [
      { type: 'objekt' },
      { type: 'object', properties: { a: { minimum: 'one' } } },
      { $ref: 'https://example.com/remote.json' },
    ]) {
      const res = await task({ prompt: 'x', schema });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatch(/^invalid request: schema is not a usable JSON Schema: /);
    }
    const notAnObject = await task({ prompt: 'x', schema: ['type', 'object'] });
    expect(notAnObject.statusCode).toBe(400);
    const badMax = await task({ prompt: 'x', max_tokens: 0 });
    expect(badMax.statusCode).toBe(400);
    expect(badMax.json().error).toMatch(/^invalid request: body\.max_tokens/);
    expect(stack().llm.chatRequests()).toHaveLength(0);
  });

  it("model: 'cheap' picks the cheap tier; a model name is ignored (the worker's config names models)", async () => {
    stack().llm.script({ text: '{"n": 1}' }, { text: '{"n": 2}' });
    expect((await task({ prompt: 'one', model: 'cheap' })).json()).toMatchObject({
      output: { n: 1 },
      model: CHEAP,
    });
    expect((await task({ prompt: 'two', model: 'gpt-4o' })).json()).toMatchObject({
      output: { n: 2 },
      model: 'gpt-4o-mini',
    });
    expect(
      stack()
        .llm.chatRequests()
        .map((r) => r.model),
    ).toEqual([CHEAP, 'gpt-4o-mini']);
  });

  it('a schema whose top level is not an object asks without JSON-object mode and accepts the array', async () => {
    stack().llm.script({ text: '["a", "b"]' });
    const res = await task({
      prompt: 'Two letters.',
      schema: { type: 'array', items: { type: 'string' }, minItems: 2 },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ output: ['a', 'b'], validated: true });
    expect(stack().llm.lastRequest().body?.response_format).toBeUndefined();
  });
});

describe('POST /llm-task on the offline demo model (make dev without a model)', () => {
  const stack = useStack({ env: { OPENAI_BASE_URL: '', OPENAI_API_KEY: '' } });

  it("the README's example answers 200 with a value its schema accepts", async () => {
    const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const example = /curl -s -X POST localhost:8081\/llm-task [^\n]*\\\n\s*-d '([^']+)'/.exec(readme)?.[1];
    expect(example).toBeDefined();
    const res = await stack().api.inject({
      method: 'POST',
      url: '/llm-task',
      payload: JSON.parse(example as string) as Record<string, unknown>,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'ok',
      output: { city: expect.any(String) },
      validated: true,
      model: 'clasper-demo',
    });
    expect(stack().llm.requests).toHaveLength(0);
  });
});
