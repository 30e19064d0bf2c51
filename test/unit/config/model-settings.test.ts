/** The model server settings (README, "Configuration"): parsed into `config.llm`, bad values named. */
import { loadConfig } from '../../../src/config';
import { configProblems } from './problems';

describe('model server settings', () => {
  it('reads the context window, output budget, request timeout and label', () => {
    const { llm } = loadConfig({
      LLM_CONTEXT_WINDOW: '4096',
      LLM_MAX_OUTPUT_TOKENS: '256',
      LLM_REQUEST_TIMEOUT_SEC: '180',
      LLM_MODEL_LABEL: 'smollm2-135m',
      LLM_STREAM_IDLE_TIMEOUT_SEC: '90',
      LLM_STREAM_WITH_TOOLS: 'false',
    });
    expect(llm).toMatchObject({
      contextWindow: 4096,
      maxOutputTokens: 256,
      requestTimeoutSec: 180,
      modelLabel: 'smollm2-135m',
      streamIdleTimeoutSec: 90,
      streamWithTools: false,
    });
  });

  it('leaves the window and output budget unset by default, with a 60 s request timeout', () => {
    const { llm } = loadConfig({});
    expect(llm.contextWindow).toBeUndefined();
    expect(llm.maxOutputTokens).toBeUndefined();
    expect(llm.requestTimeoutSec).toBe(60);
    expect(llm.streamIdleTimeoutSec).toBe(30);
    expect(llm.streamWithTools).toBe(true);
  });

  it('names a bad value and the bound it breaks', () => {
    expect(
      configProblems({
        LLM_REQUEST_TIMEOUT_SEC: '900',
        LLM_CONTEXT_WINDOW: '4k',
        LLM_STREAM_IDLE_TIMEOUT_SEC: '0',
        LLM_STREAM_WITH_TOOLS: 'sometimes',
      }),
    ).toEqual([
      "LLM_CONTEXT_WINDOW must be a whole number, got '4k'",
      "LLM_REQUEST_TIMEOUT_SEC must be at most 540, got '900'",
      "LLM_STREAM_IDLE_TIMEOUT_SEC must be at least 1, got '0'",
      "LLM_STREAM_WITH_TOOLS must be true or false, got 'sometimes'",
    ]);
  });
});
