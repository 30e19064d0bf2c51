/**
 * Streamed model calls against the fake server through the real `openai` client: a stream that
 * stalls mid-answer fails the attempt (retryably) after LLM_STREAM_IDLE_TIMEOUT_SEC, and with
 * LLM_STREAM_WITH_TOOLS=false a server that cannot stream with tools (llama-cpp-python) is only
 * streamed to when no tools are offered.
 */
import { createModelClient } from '../../../../src/clients/model/call-model';
import { ModelError } from '../../../../src/clients/model/errors';
import type { Config } from '../../../../src/config';
import type { CallModelInput, ToolSpec } from '../../../../src/shared/types';
import { failureOf } from '../../../support/failure-of';
import { type FakeOpenAI, useFakeOpenAI } from '../../../support/fake-openai';

const fake = useFakeOpenAI({ strict: true, rejectStreamedTools: true, allowUnexpectedCalls: true });

function llmConfig(f: FakeOpenAI, overrides: Partial<Config['llm']> = {}): Config['llm'] {
  return { baseUrl: f.url, model: 'smollm2-135m', ...overrides };
}

const tool: ToolSpec = {
  type: 'function',
  function: { name: 'create_task', description: 'Create a task', parameters: { type: 'object' } },
};
const input: CallModelInput = { messages: [{ role: 'user', content: 'Say hello.' }], tier: 'default' };

describe('a stream that stalls', () => {
  it('fails the attempt, retryably, once no chunk came for LLM_STREAM_IDLE_TIMEOUT_SEC', async () => {
    fake().script({ text: 'one two three four five', stallAfterChunks: 3 });
    const { callModel } = createModelClient({
      config: llmConfig(fake(), { streamIdleTimeoutSec: 1, requestTimeoutSec: 30 }),
    });
    const deltas: string[] = [];
    const started = Date.now();
    const f = await failureOf(callModel(input, { onText: (d) => deltas.push(d) }));
    const waited = Date.now() - started;
    expect(f.type).toBe(ModelError.StreamStalled);
    expect(f.nonRetryable).toBe(false);
    expect(f.message).toContain('stopped sending in the middle of a streamed answer for 1000 ms');
    expect(f.message).toContain('LLM_STREAM_IDLE_TIMEOUT_SEC');
    // The idle timeout, not the 30 s request timeout, ended it.
    expect(waited).toBeGreaterThanOrEqual(1000);
    expect(waited).toBeLessThan(10_000);
    expect(deltas.join('')).toBe('one two ');
  });

  it('lets a slow but steady stream finish: the idle timeout is between chunks, not for the whole answer', async () => {
    fake().script({ text: 'a b c d e f', chunkDelayMs: 400 });
    const { callModel } = createModelClient({ config: llmConfig(fake(), { streamIdleTimeoutSec: 1 }) });
    const deltas: string[] = [];
    const result = await callModel(input, { onText: (d) => deltas.push(d) });
    expect(result.content).toBe('a b c d e f');
    expect(deltas.join('')).toBe('a b c d e f');
  });

  it('waits up to the request timeout for the first chunk, then says so', async () => {
    fake().script({ text: 'late', stallAfterChunks: 0 });
    const { callModel } = createModelClient({
      config: llmConfig(fake(), { streamIdleTimeoutSec: 30, requestTimeoutSec: 1 }),
    });
    const f = await failureOf(callModel(input, { onText: () => undefined }));
    expect(f.type).toBe(ModelError.Network);
    expect(f.nonRetryable).toBe(false);
    expect(f.message).toContain('sent no chunk of a streamed answer for 1000 ms');
    expect(f.message).toContain('LLM_REQUEST_TIMEOUT_SEC');
  });
});

describe('a server that cannot stream with tools', () => {
  it('with LLM_STREAM_WITH_TOOLS=false: a call offering tools is asked whole, one without tools streams', async () => {
    fake().script({ text: 'with tools' }, { text: 'no tools here' });
    const { callModel } = createModelClient({ config: llmConfig(fake(), { streamWithTools: false }) });
    const deltas: string[] = [];
    const withTools = await callModel({ ...input, tools: [tool] }, { onText: (d) => deltas.push(d) });
    expect(withTools.content).toBe('with tools');
    expect(deltas).toEqual([]);
    const plain = await callModel(input, { onText: (d) => deltas.push(d) });
    expect(plain.content).toBe('no tools here');
    expect(deltas.join('')).toBe('no tools here');
    expect(
      fake()
        .chatRequests()
        .map((r) => [r.stream, (r.body?.tools ?? []).length]),
    ).toEqual([
      [false, 1],
      [true, 0],
    ]);
    expect(fake().unexpectedCalls).toEqual([]);
  });

  it('by default streams with tools, and such a refusal fails at once with the setting to change', async () => {
    const { callModel } = createModelClient({ config: llmConfig(fake()) });
    const f = await failureOf(
      callModel({ ...input, tools: [tool] }, { onText: () => undefined, attempt: 1 }),
    );
    expect(f.type).toBe(ModelError.StreamingToolsUnsupported);
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toContain('Automatic streaming tool choice is not supported');
    expect(f.message).toContain('set LLM_STREAM_WITH_TOOLS=false');
    expect(fake().unexpectedCalls.map((c) => c.reason)).toEqual(['a streamed request offered tools']);
  });
});
