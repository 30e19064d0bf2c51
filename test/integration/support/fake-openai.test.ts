/**
 * The fake must look like OpenAI to the real `openai` client, or every test built on it proves
 * nothing. So these tests drive it only through that client.
 */
import OpenAI, { APIConnectionError, APIError } from 'openai';
import {
  SCRIPT_EXHAUSTED,
  fakeOpenAIClient,
  startFakeOpenAI,
  useFakeOpenAI,
} from '../../support/fake-openai';

const fake = useFakeOpenAI();
const client = () => fakeOpenAIClient(fake());
const hello = [{ role: 'user' as const, content: 'Hi there' }];

async function apiError(p: Promise<unknown>): Promise<APIError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof APIError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

describe('fake OpenAI server, through the real openai client', () => {
  it('answers text, echoes the model and records the request', async () => {
    fake().script({ text: 'Hello' });
    const res = await client().chat.completions.create({
      model: 'gpt-4o-mini',
      messages: hello,
      temperature: 0.2,
    });

    expect(res.object).toBe('chat.completion');
    expect(res.model).toBe('gpt-4o-mini');
    expect(res.choices[0]?.message.content).toBe('Hello');
    expect(res.choices[0]?.finish_reason).toBe('stop');
    expect(res.usage?.total_tokens).toBe(
      (res.usage?.prompt_tokens ?? 0) + (res.usage?.completion_tokens ?? 0),
    );

    const req = fake().lastRequest();
    expect(req.path).toBe('/v1/chat/completions');
    expect(req.model).toBe('gpt-4o-mini');
    expect(req.body?.messages).toEqual(hello);
    expect(req.body?.temperature).toBe(0.2);
    expect(req.headers.authorization).toBe('Bearer test');
  });

  it('answers tool calls with generated or given ids and the tools it was offered recorded', async () => {
    fake().script({
      toolCalls: [
        { name: 'create_task', arguments: { title: 'X' } },
        { id: 'call_given', name: 'post_message', arguments: { task_id: 't1', content: 'hi' } },
      ],
    });
    const tools = [
      { type: 'function' as const, function: { name: 'create_task', parameters: { type: 'object' } } },
    ];
    const res = await client().chat.completions.create({ model: 'gpt-4o', messages: hello, tools });

    const msg = res.choices[0]?.message;
    expect(res.choices[0]?.finish_reason).toBe('tool_calls');
    expect(msg?.content).toBeNull();
    expect(msg?.tool_calls).toEqual([
      {
        id: expect.stringMatching(/^call_/),
        type: 'function',
        function: { name: 'create_task', arguments: '{"title":"X"}' },
      },
      {
        id: 'call_given',
        type: 'function',
        function: { name: 'post_message', arguments: '{"task_id":"t1","content":"hi"}' },
      },
    ]);
    expect(fake().lastRequest().body?.tools).toEqual(tools);
  });

  it('sends malformed tool-call arguments verbatim and empty answers as empty', async () => {
    fake().script({ rawArguments: '{not json', name: 'post_message' }, { text: '' });
    const bad = await client().chat.completions.create({ model: 'gpt-4o-mini', messages: hello });
    const call = bad.choices[0]?.message.tool_calls?.[0];
    expect(call?.type === 'function' && call.function).toEqual({
      name: 'post_message',
      arguments: '{not json',
    });

    const empty = await client().chat.completions.create({ model: 'gpt-4o-mini', messages: hello });
    expect(empty.choices[0]?.message.content).toBe('');
  });

  it('streams text as chat.completion.chunk events, with usage last when asked', async () => {
    fake().script({ text: 'Hello streaming world', usage: { prompt_tokens: 7, completion_tokens: 3 } });
    const stream = await client().chat.completions.create({
      model: 'gpt-4o-mini',
      messages: hello,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) {
      chunks.push(chunk);
      text += chunk.choices[0]?.delta.content ?? '';
    }
    expect(text).toBe('Hello streaming world');
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.model === 'gpt-4o-mini')).toBe(true);
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0]?.finish_reason).toBe('stop');
    expect(chunks[chunks.length - 1]).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 },
    });
    expect(fake().lastRequest().stream).toBe(true);
  });

  it('streams tool calls as deltas the client helper reassembles', async () => {
    fake().script({
      toolCalls: [{ id: 'call_1', name: 'create_task', arguments: { title: 'A rather long task title' } }],
    });
    const runner = client().chat.completions.stream({ model: 'gpt-4o-mini', messages: hello });
    const final = await runner.finalChatCompletion();
    expect(final.choices[0]?.finish_reason).toBe('tool_calls');
    expect(final.choices[0]?.message.tool_calls).toEqual([
      {
        id: 'call_1',
        type: 'function',
        function: { name: 'create_task', arguments: '{"title":"A rather long task title"}' },
      },
    ]);
  });

  it('answers 429 with Retry-After visible on the APIError', async () => {
    fake().script({ status: 429, retryAfterSec: 1, error: 'Rate limited' });
    const err = await apiError(client().chat.completions.create({ model: 'gpt-4o-mini', messages: hello }));
    expect(err.status).toBe(429);
    expect(err.headers?.get('retry-after')).toBe('1');
    expect(err.message).toContain('Rate limited');
    expect(err.code).toBe('rate_limit_exceeded');
  });

  it("answers 400 with OpenAI's error body", async () => {
    fake().script({ status: 400, error: 'Invalid model parameter' });
    const err = await apiError(client().chat.completions.create({ model: 'gpt-4o-mini', messages: hello }));
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.message).toBe('400 Invalid model parameter');
    expect(err.type).toBe('invalid_request_error');
  });

  it('answers 500 when the script is exhausted and records the unexpected call', async () => {
    const err = await apiError(client().chat.completions.create({ model: 'gpt-4o-mini', messages: hello }));
    expect(err.status).toBe(500);
    expect(err.message).toContain(SCRIPT_EXHAUSTED);
    expect(fake().unexpectedCalls).toHaveLength(1);
    expect(() => fake().assertNoUnexpectedCalls()).toThrow(SCRIPT_EXHAUSTED);
    fake().reset(); // This test wanted the unexpected call; don't let the afterEach check fail it.
  });

  describe("strict mode, as llama.cpp's server validates", () => {
    const toolCall = {
      id: 'call_1',
      type: 'function' as const,
      function: { name: 'create_task', arguments: '{}' },
    };
    const withAssistant = (assistant: Record<string, unknown>) =>
      [
        ...hello,
        { role: 'assistant', ...assistant },
        { role: 'tool', tool_call_id: 'call_1', content: '{"id":1}' },
      ] as OpenAI.Chat.ChatCompletionMessageParam[];

    it.each([
      ['null', { content: null, tool_calls: [toolCall] }],
      ['omitted', { tool_calls: [toolCall] }],
    ])(
      'rejects an assistant tool-call message whose content is %s with 500 "Input should be a valid string"',
      async (_, assistant) => {
        const strict = await startFakeOpenAI({ strict: true });
        try {
          strict.script({ text: 'never sent' });
          const err = await apiError(
            fakeOpenAIClient(strict).chat.completions.create({
              model: 'm',
              messages: withAssistant(assistant),
            }),
          );
          expect(err.status).toBe(500);
          expect(err.message).toContain('Input should be a valid string');
          expect(err.message).toContain("'loc': ('body', 'messages', 1, 'content')");
          expect(strict.unexpectedCalls[0]?.reason).toContain(
            'strict mode rejected the request: body.messages.1.content',
          );
          expect(strict.remaining()).toBe(1);
        } finally {
          await strict.close();
        }
      },
    );

    it('accepts content "" beside tool_calls, and the same null content when not strict', async () => {
      const strict = await startFakeOpenAI({ strict: true });
      try {
        strict.script({ text: 'ok' });
        const answer = await fakeOpenAIClient(strict).chat.completions.create({
          model: 'm',
          messages: withAssistant({ content: '', tool_calls: [toolCall] }),
        });
        expect(answer.choices[0]?.message.content).toBe('ok');
        strict.assertNoUnexpectedCalls();
      } finally {
        await strict.close();
      }
      fake().script({ text: 'lenient' });
      const lenient = await client().chat.completions.create({
        model: 'm',
        messages: withAssistant({ content: null, tool_calls: [toolCall] }),
      });
      expect(lenient.choices[0]?.message.content).toBe('lenient');
    });

    it('rejects tool calls whose arguments are not a string', async () => {
      const strict = await startFakeOpenAI({ strict: true });
      try {
        const bad = { ...toolCall, function: { name: 'create_task', arguments: { title: 'x' } } };
        const err = await apiError(
          fakeOpenAIClient(strict).chat.completions.create({
            model: 'm',
            messages: withAssistant({ content: '', tool_calls: [bad] }),
          }),
        );
        expect(err.status).toBe(500);
        expect(strict.unexpectedCalls[0]?.reason).toContain(
          'body.messages.1.tool_calls.0.function.arguments',
        );
      } finally {
        await strict.close();
      }
    });
  });

  it('delays an answer, long enough for a client timeout', async () => {
    fake().script({ text: 'late', delayMs: 300 }, { text: 'too late', delayMs: 2000 });
    const started = Date.now();
    const res = await client().chat.completions.create({ model: 'gpt-4o-mini', messages: hello });
    expect(res.choices[0]?.message.content).toBe('late');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);

    // Under jest the client reports its own timeout as a plain APIConnectionError (fetch's
    // AbortError comes from another realm, so the SDK cannot recognise it); outside jest it is the
    // APIConnectionTimeoutError subclass. Either way it is a connection error.
    const impatient = fakeOpenAIClient(fake(), { timeoutMs: 200 });
    await expect(
      impatient.chat.completions.create({ model: 'gpt-4o-mini', messages: hello }),
    ).rejects.toBeInstanceOf(APIConnectionError);
  });

  it('drops the connection when told to', async () => {
    fake().script({ disconnect: true });
    await expect(
      client().chat.completions.create({ model: 'gpt-4o-mini', messages: hello }),
    ).rejects.toBeInstanceOf(APIConnectionError);
  });

  it('lets onlyForModel steps wait for their model', async () => {
    fake().script({ text: 'from the fallback', onlyForModel: 'gpt-4o' }, { text: 'from anyone' });
    const first = await client().chat.completions.create({ model: 'gpt-4o-mini', messages: hello });
    const second = await client().chat.completions.create({ model: 'gpt-4o', messages: hello });
    expect(first.choices[0]?.message.content).toBe('from anyone');
    expect(second.choices[0]?.message.content).toBe('from the fallback');
    expect(second.model).toBe('gpt-4o');
  });

  it('answers from the respond hook when no scripted step is left', async () => {
    fake().respond((req) => {
      const last = req.body?.messages?.at(-1);
      return { text: `echo: ${String(last?.content)}` };
    });
    const res = await client().chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'ping' }],
    });
    expect(res.choices[0]?.message.content).toBe('echo: ping');
  });

  it('lists models so a reachability check works', async () => {
    const models = await client().models.list();
    expect(models.data.map((m) => m.id)).toContain('gpt-4o-mini');
  });

  it('rejects a wrong API key when it requires one', async () => {
    const strict = await startFakeOpenAI({ requireApiKey: 'sk-right' });
    try {
      const err = await apiError(
        fakeOpenAIClient(strict).chat.completions.create({ model: 'gpt-4o-mini', messages: hello }),
      );
      expect(err.status).toBe(401);
    } finally {
      await strict.close();
    }
  });
});
