/**
 * `callModel` against the fake OpenAI server through the real `openai` client: the request we send
 * and the failure classes Temporal retries on are both checked at the HTTP boundary.
 */
import { CancelledFailure } from '@temporalio/common';
import {
  MAX_WIRE_SCHEMA_BOUND,
  createModelClient,
  resolveModelName,
} from '../../../../src/clients/model/call-model';
import { builtinToolSpecs } from '../../../../src/clients/mission-control/tool-schemas';
import { isDemoMode } from '../../../../src/clients/model/openai-client';
import { DEMO_MODEL_NAME } from '../../../../src/clients/model/demo-model';
import { ModelError } from '../../../../src/clients/model/errors';
import type { Config } from '../../../../src/config';
import type { CallModelInput, ToolSpec } from '../../../../src/shared/types';
import { failureOf } from '../../../support/failure-of';
import { type FakeOpenAI, startFakeOpenAI, useFakeOpenAI } from '../../../support/fake-openai';

const fake = useFakeOpenAI();

function llmConfig(f: FakeOpenAI, overrides: Partial<Config['llm']> = {}): Config['llm'] {
  return { apiKey: 'sk-test-key-0123456789abcdefgh', baseUrl: f.url, model: 'gpt-4o-mini', ...overrides };
}

const createTask: ToolSpec = {
  type: 'function',
  function: {
    name: 'create_task',
    description: 'Create a task',
    parameters: { type: 'object', properties: { title: { type: 'string' } }, required: ['title'] },
  },
};
const input: CallModelInput = {
  messages: [
    { role: 'system', content: 'You are the lead.' },
    { role: 'user', content: 'Create a task called "Write report"' },
  ],
  tier: 'default',
};

describe('the model client against the fake OpenAI server', () => {
  it('returns a text answer with usage and cost', async () => {
    fake().script({ text: 'Hello from the model', usage: { prompt_tokens: 1000, completion_tokens: 500 } });
    const { callModel } = createModelClient({ config: llmConfig(fake()) });

    const result = await callModel(input);

    expect(result).toEqual({
      model: 'gpt-4o-mini',
      content: 'Hello from the model',
      toolCalls: [],
      finishReason: 'stop',
      usage: { prompt_tokens: 1000, completion_tokens: 500, total_tokens: 1500 },
      cost: 0.00045,
    });
    const req = fake().lastRequest();
    expect(req.headers.authorization).toBe('Bearer sk-test-key-0123456789abcdefgh');
    expect(req.body?.tools).toBeUndefined();
    expect(req.body?.tool_choice).toBeUndefined();
  });

  it('sends the messages and tools and returns the tool calls', async () => {
    fake().script({
      toolCalls: [{ id: 'call_1', name: 'create_task', arguments: { title: 'Write report' } }],
    });
    const { callModel } = createModelClient({ config: llmConfig(fake()) });

    const result = await callModel({ ...input, tools: [createTask], temperature: 0.3, maxTokens: 256 });

    expect(result.content).toBeNull();
    expect(result.finishReason).toBe('tool_calls');
    expect(result.toolCalls).toEqual([
      {
        id: 'call_1',
        type: 'function',
        function: { name: 'create_task', arguments: '{"title":"Write report"}' },
      },
    ]);
    const body = fake().lastRequest().body;
    expect(body?.model).toBe('gpt-4o-mini');
    expect(body?.messages).toEqual(input.messages);
    expect(body?.tools).toEqual([createTask]);
    expect(body?.tool_choice).toBe('auto');
    expect(body?.temperature).toBe(0.3);
    expect(body?.max_tokens).toBe(256);
    expect(body?.stream).toBeFalsy();
  });

  it('sends max_completion_tokens and no temperature to a reasoning model, and asks for JSON', async () => {
    fake().script({ text: '{"ok":true}' });
    const { callModel } = createModelClient({ config: llmConfig(fake(), { model: 'o4-mini' }) });

    await callModel({ ...input, temperature: 0.3, maxTokens: 256, json: true });

    const body = fake().lastRequest().body;
    expect(body?.max_completion_tokens).toBe(256);
    expect(body?.max_tokens).toBeUndefined();
    expect(body?.temperature).toBeUndefined();
    expect(body?.response_format).toEqual({ type: 'json_object' });
  });

  it('turns a 429 with Retry-After into a retryable Model.RateLimited with the delay', async () => {
    fake().script({ status: 429, retryAfterSec: 1, error: 'Rate limited' });
    const { callModel } = createModelClient({ config: llmConfig(fake()) });

    const f = await failureOf(callModel(input));

    expect(f.type).toBe(ModelError.RateLimited);
    expect(f.nonRetryable).toBe(false);
    expect(f.nextRetryDelay).toBe(1000);
    expect(f.message).toContain('Rate limited');
  });

  it("turns a 400 into a non-retryable failure with the provider's message", async () => {
    fake().script({ status: 400, error: 'Invalid model parameter' });
    const { callModel } = createModelClient({ config: llmConfig(fake()) });

    const f = await failureOf(callModel(input));

    expect(f.type).toBe(ModelError.BadRequest);
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toBe(
      `model server at ${new URL(fake().url).origin} answered 400: Invalid model parameter`,
    );
    expect(f.details).toEqual([
      expect.objectContaining({ status: 400, model: 'gpt-4o-mini', endpoint: new URL(fake().url).origin }),
    ]);
  });

  it('turns a 500 into a retryable Model.ServerError', async () => {
    fake().script({ status: 500 });
    const { callModel } = createModelClient({ config: llmConfig(fake()) });

    const f = await failureOf(callModel(input));

    expect(f.type).toBe(ModelError.ServerError);
    expect(f.nonRetryable).toBe(false);
  });

  it('turns our own request timeout into a retryable Model.Network', async () => {
    fake().script({ text: 'too late', delayMs: 1000 });
    const { callModel } = createModelClient({ config: llmConfig(fake()), requestTimeoutMs: 150 });

    const f = await failureOf(callModel(input));

    expect(f.type).toBe(ModelError.Network);
    expect(f.nonRetryable).toBe(false);
  });

  it('turns a dropped connection into a retryable Model.Network that names the endpoint', async () => {
    fake().script({ disconnect: true });
    const { callModel } = createModelClient({ config: llmConfig(fake()) });

    const f = await failureOf(callModel(input));

    expect(f.type).toBe(ModelError.Network);
    expect(f.message).toContain(new URL(fake().url).origin);
  });

  it("ends with the signal's reason, not a model failure, when the call is aborted mid-request", async () => {
    fake().script({ text: 'too late', delayMs: 5000 });
    const { callModel } = createModelClient({ config: llmConfig(fake()) });
    const abort = new AbortController();
    const running = callModel(input, { signal: abort.signal });
    // Abort only once the request is in flight, so the abort reaches the HTTP call.
    while (fake().requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    const reason = new CancelledFailure('cancelled by the test');
    abort.abort(reason);

    await expect(running).rejects.toBe(reason);
  });

  it('never puts the API key in a failure', async () => {
    const apiKey = 'sk-proj-SECRETSECRETSECRET0123456789';
    fake().script({ status: 401, error: `Incorrect API key provided: ${apiKey}` });
    const { callModel } = createModelClient({ config: llmConfig(fake(), { apiKey }) });

    const f = await failureOf(callModel(input));

    expect(f.type).toBe(ModelError.Unauthorized);
    expect(f.nonRetryable).toBe(true);
    expect(JSON.stringify({ m: f.message, d: f.details, c: (f.cause as Error).message })).not.toContain(
      apiKey,
    );
  });

  it('answers 200-with-garbage as a non-retryable Model.InvalidResponse', async () => {
    fake().script({ rawBody: '{"hello":"world"}' });
    const { callModel } = createModelClient({ config: llmConfig(fake()) });

    const f = await failureOf(callModel(input));

    expect(f.type).toBe(ModelError.InvalidResponse);
    expect(f.nonRetryable).toBe(true);
  });

  it('with rejectEmpty, turns an answer with no text and no tool calls into a retryable Model.EmptyAnswer', async () => {
    fake().script({ text: '' }, { text: '  \n', finishReason: 'length' });
    const { callModel } = createModelClient({ config: llmConfig(fake()) });

    for (const finish of ['stop', 'length']) {
      const failure = await failureOf(callModel({ ...input, rejectEmpty: true }));
      expect(failure.type).toBe(ModelError.EmptyAnswer);
      expect(failure.nonRetryable).toBe(false);
      expect(failure.message).toBe(
        `model server at ${new URL(fake().url).origin} answered with no text and no tool calls (finish_reason: ${finish})`,
      );
    }
    // Without rejectEmpty (compaction, llm tasks) the caller decides what an empty answer means.
    fake().script({ text: '' });
    expect((await callModel(input)).content).toBe('');
  });

  it('uses the fallback model for the fallback tier', async () => {
    fake().script({ text: 'from the fallback', onlyForModel: 'gpt-4o' });
    const { callModel } = createModelClient({ config: llmConfig(fake(), { fallbackModel: 'gpt-4o' }) });

    const result = await callModel({ ...input, tier: 'fallback' });

    expect(fake().lastRequest().model).toBe('gpt-4o');
    expect(result.model).toBe('gpt-4o');
    expect(result.content).toBe('from the fallback');
  });

  it('fails the fallback tier non-retryably when no fallback model is configured', async () => {
    const { callModel } = createModelClient({ config: llmConfig(fake()) });

    const f = await failureOf(callModel({ ...input, tier: 'fallback' }));

    expect(f.type).toBe(ModelError.NoFallback);
    expect(f.nonRetryable).toBe(true);
    expect(fake().requests).toHaveLength(0);
  });

  it('uses the cheap model for the cheap tier, else the default', async () => {
    fake().script({ text: 'a' }, { text: 'b' });
    await createModelClient({ config: llmConfig(fake(), { cheapModel: 'gpt-4.1-nano' }) }).callModel({
      ...input,
      tier: 'cheap',
    });
    await createModelClient({ config: llmConfig(fake()) }).callModel({ ...input, tier: 'cheap' });
    expect(
      fake()
        .chatRequests()
        .map((r) => r.model),
    ).toEqual(['gpt-4.1-nano', 'gpt-4o-mini']);
  });

  it('prices known models (snapshots included) and leaves unknown ones at null', async () => {
    fake().script({ text: 'x', model: 'gpt-4o-mini-2024-07-18' }, { text: 'y' });
    const known = await createModelClient({ config: llmConfig(fake()) }).callModel(input);
    const unknown = await createModelClient({ config: llmConfig(fake(), { model: 'llama3' }) }).callModel(
      input,
    );

    expect(known.model).toBe('gpt-4o-mini-2024-07-18');
    expect(typeof known.cost).toBe('number');
    expect(known.cost).toBeGreaterThan(0);
    expect(unknown.model).toBe('llama3');
    expect(unknown.cost).toBeNull();
  });

  it('works with only a base URL (no key): the client gets a placeholder key', async () => {
    fake().script({ text: 'local model here' });
    const result = await createModelClient({
      config: { baseUrl: fake().url, model: 'llama3' },
    }).callModel(input);
    expect(result.content).toBe('local model here');
    expect(fake().lastRequest().headers.authorization).toBe('Bearer not-needed');
  });
});

describe('against a server that validates like llama.cpp (strict fake)', () => {
  it('sends a tool round whose assistant message had content null with content "" and every tool call intact', async () => {
    const strict = await startFakeOpenAI({ strict: true });
    try {
      strict.script({ text: 'done' });
      const { callModel } = createModelClient({ config: llmConfig(strict) });
      const call = {
        id: 'call_1',
        type: 'function' as const,
        function: { name: 'create_task', arguments: '{"title":"X"}' },
      };
      const result = await callModel({
        ...input,
        tools: [createTask],
        messages: [
          ...input.messages,
          { role: 'assistant', content: null, tool_calls: [call] },
          { role: 'tool', tool_call_id: 'call_1', content: '{"id":7}' },
        ],
      });
      expect(result.content).toBe('done');
      strict.assertNoUnexpectedCalls();
      expect(strict.lastRequest().body?.messages?.[2]).toEqual({
        role: 'assistant',
        content: '',
        tool_calls: [call],
      });
    } finally {
      await strict.close();
    }
  });
});

describe('settings a local model server needs', () => {
  it("sends LLM_MAX_OUTPUT_TOKENS as max_tokens when the call sets none, and the call's own otherwise", async () => {
    fake().script({ text: 'a' }, { text: 'b' });
    const { callModel } = createModelClient({ config: llmConfig(fake(), { maxOutputTokens: 256 }) });
    await callModel(input);
    expect(fake().lastRequest().body?.max_tokens).toBe(256);
    await callModel({ ...input, maxTokens: 32 });
    expect(fake().lastRequest().body?.max_tokens).toBe(32);
  });

  it('fails a prompt that cannot fit LLM_CONTEXT_WINDOW before any request, tool schemas counted', async () => {
    const { callModel } = createModelClient({
      config: llmConfig(fake(), { model: 'smollm2', contextWindow: 300 }),
    });
    const longSystem = { role: 'system' as const, content: 'x'.repeat(800) }; // ~200 tokens
    const ok = await failureOf(
      callModel({ ...input, messages: [longSystem, { role: 'user', content: 'hi' }], tools: manyTools(8) }),
    );
    expect(ok.type).toBe(ModelError.PromptTooLong);
    expect(ok.nonRetryable).toBe(true);
    expect(ok.message).toMatch(
      /takes about \d+ tokens \(messages and tool schemas, estimated at characters \/ 4\)/,
    );
    expect(ok.message).toContain('300-token context window (LLM_CONTEXT_WINDOW)');
    expect(fake().chatRequests()).toHaveLength(0);
  });

  it('lowers max_tokens to what the window leaves after the prompt', async () => {
    fake().script({ text: 'short' });
    const { callModel } = createModelClient({
      config: llmConfig(fake(), { model: 'smollm2', contextWindow: 1000, maxOutputTokens: 4000 }),
    });
    await callModel(input);
    const sent = fake().lastRequest().body?.max_tokens ?? 0;
    expect(sent).toBeLessThan(1000);
    expect(sent).toBeGreaterThan(900);
  });

  it('names the model by LLM_MODEL_LABEL, else a file path the server answers with by its stem', async () => {
    fake().script({ text: 'a', model: '/srv/models/SmolLM2-135M-Instruct.Q8_0.gguf' });
    fake().script({ text: 'b', model: '/srv/models/SmolLM2-135M-Instruct.Q8_0.gguf' });
    const unlabelled = createModelClient({ config: llmConfig(fake(), { model: 'local' }) });
    expect((await unlabelled.callModel(input)).model).toBe('SmolLM2-135M-Instruct.Q8_0');
    const labelled = createModelClient({
      config: llmConfig(fake(), { model: 'local', modelLabel: 'smollm2-135m' }),
    });
    const result = await labelled.callModel(input);
    expect(result.model).toBe('smollm2-135m');
    expect(result.cost).toBeNull();
  });

  it('times a request out after LLM_REQUEST_TIMEOUT_SEC', async () => {
    fake().script({ text: 'late', delayMs: 3000 });
    const { callModel } = createModelClient({ config: llmConfig(fake(), { requestTimeoutSec: 1 }) });
    const started = Date.now();
    const f = await failureOf(callModel(input));
    // Under jest the client reports its own timeout as a connection error (the abort reason
    // crosses realms), so the message is checked in the unit test of errors.ts.
    expect(Date.now() - started).toBeLessThan(2500);
    expect(f.type).toBe(ModelError.Network);
    expect(f.nonRetryable).toBe(false);
  });
});

function manyTools(n: number): ToolSpec[] {
  return Array.from({ length: n }, (_, i) => ({
    ...createTask,
    function: { ...createTask.function, name: `tool_${i}` },
  }));
}

describe('demo mode', () => {
  it('is on only when neither a key nor a base URL is configured', () => {
    expect(isDemoMode({ model: 'gpt-4o-mini' })).toBe(true);
    expect(isDemoMode({ model: 'gpt-4o-mini', apiKey: 'sk-x' })).toBe(false);
    expect(isDemoMode({ model: 'gpt-4o-mini', baseUrl: 'http://localhost:11434/v1' })).toBe(false);
  });

  it('answers from the offline demo model without any HTTP call', async () => {
    const { callModel } = createModelClient({ config: { model: 'gpt-4o-mini' } });
    const result = await callModel(input);
    expect(result.model).toBe(DEMO_MODEL_NAME);
    expect(result.toolCalls).toEqual([]); // no tools offered
    expect(result.cost).toBeNull();
    expect(fake().requests).toHaveLength(0);
  });
});

describe('resolveModelName', () => {
  const config = { model: 'm-default', fallbackModel: 'm-fallback', cheapModel: 'm-cheap' };
  it('maps tiers to configured names', () => {
    expect(resolveModelName(config, 'default')).toBe('m-default');
    expect(resolveModelName(config, 'fallback')).toBe('m-fallback');
    expect(resolveModelName(config, 'cheap')).toBe('m-cheap');
  });
});

describe('tool schemas on the wire (strict fake)', () => {
  it('offers the built-in tools without the length bounds that crash llama.cpp, keeping the small ones', async () => {
    const strict = await startFakeOpenAI({ strict: true });
    try {
      strict.script({ text: 'done' });
      const tools = builtinToolSpecs();
      // The premise: create_task's description allows 20,000 characters, which the real server cannot compile.
      expect(JSON.stringify(tools)).toContain('"maxLength":20000');
      const result = await createModelClient({ config: llmConfig(strict) }).callModel({ ...input, tools });
      expect(result.content).toBe('done');
      strict.assertNoUnexpectedCalls();
      const sent = strict.lastRequest().body?.tools ?? [];
      expect(sent.map((t) => t.function.name)).toEqual(tools.map((t) => t.function.name));
      const bounds = [...JSON.stringify(sent).matchAll(/"(?:max|min)(?:Length|Items)":(\d+)/g)].map((m) =>
        Number(m[1]),
      );
      expect(bounds.length).toBeGreaterThan(0);
      expect(Math.max(...bounds)).toBeLessThanOrEqual(MAX_WIRE_SCHEMA_BOUND);
      const createTaskSent = sent.find((t) => t.function.name === 'create_task')?.function.parameters as {
        properties: Record<string, Record<string, unknown>>;
        required: string[];
      };
      expect(createTaskSent.properties.title).toMatchObject({ type: 'string', minLength: 1, maxLength: 500 });
      expect(createTaskSent.properties.description).toEqual({
        description: 'What the task is about',
        type: 'string',
      });
      expect(createTaskSent.required).toEqual(['title']);
      // The specs the workflow holds are untouched: only the wire copy loses the bound.
      expect(JSON.stringify(tools)).toContain('"maxLength":20000');
    } finally {
      await strict.close();
    }
  });

  it('the strict fake drops the connection for a schema bound llama.cpp cannot compile, as the real server crashes', async () => {
    const strict = await startFakeOpenAI({ strict: true });
    try {
      strict.script({ text: 'never sent' });
      const { callModel } = createModelClient({ config: llmConfig(strict) });
      // An unbounded caller (not wireTools) would send this; drive the fake directly to pin its behaviour.
      const res = await fetch(`${strict.url}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'm',
          messages: [{ role: 'user', content: 'hi' }],
          tools: [
            {
              type: 'function',
              function: {
                name: 'x',
                parameters: { type: 'object', properties: { s: { type: 'string', maxLength: 1200 } } },
              },
            },
          ],
        }),
      }).catch((err: unknown) => err);
      // fetch's TypeError comes from another realm under jest, so match the failure, not the class.
      expect(res).not.toBeInstanceOf(Response);
      expect(String(res)).toMatch(/fetch failed/);
      expect(strict.unexpectedCalls.map((c) => c.reason)).toEqual([
        expect.stringContaining('x.properties.s.maxLength: 1200'),
      ]);
      // The same bound through the client is trimmed and answered.
      const result = await callModel({
        ...input,
        tools: [
          {
            type: 'function',
            function: {
              name: 'x',
              description: 'x',
              parameters: { type: 'object', properties: { s: { type: 'string', maxLength: 1200 } } },
            },
          },
        ],
      });
      expect(result.content).toBe('never sent');
    } finally {
      await strict.close();
    }
  });
});
