/**
 * Probes of a model server for `clasper doctor`: real chat completions, shaped as a turn's
 * (wireMessages, wireTools), each small. Failures are classified like a model call's (errors.ts),
 * so the doctor tells them apart by ModelError type.
 */
import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import type { ChatMessage, ToolSpec } from '../../shared/types';
import { resolveModelName, wireMessages, wireTools } from './call-model';
import { classifyModelError } from './errors';
import { buildOpenAiClient, errorContextOf, type LlmConfig } from './openai-client';

export interface ProbeAnswer {
  /** Wall time of the request, in ms. */
  ms: number;
  text: string;
  toolCalls: string[];
  finishReason: string | null;
}

/** The tool the forced tool-choice probe offers: no arguments, so even a tiny model can call it. */
export const PROBE_TOOL: ToolSpec = {
  type: 'function',
  function: {
    name: 'report_ready',
    description: 'Report that you are ready.',
    parameters: { type: 'object', properties: {}, required: [] },
  },
};

/** One chat completion against the default model, timed. */
export async function probeChat(
  config: LlmConfig,
  request: {
    messages: ChatMessage[];
    maxTokens: number;
    tools?: ToolSpec[];
    /** Name a tool to force it (`tool_choice: {type: 'function', ...}`). */
    forceTool?: string;
    /** Ask for the answer streamed (`stream: true`), as a streamed turn does. */
    stream?: boolean;
  },
  opts: { timeoutMs: number; signal?: AbortSignal },
): Promise<ProbeAnswer> {
  const client = buildOpenAiClient(config, opts.timeoutMs);
  const model = resolveModelName(config, 'default');
  const body: ChatCompletionCreateParamsNonStreaming = {
    model,
    messages: wireMessages(request.messages),
    max_tokens: request.maxTokens,
    ...(request.tools && request.tools.length > 0 ? { tools: wireTools(request.tools) } : {}),
    ...(request.forceTool
      ? { tool_choice: { type: 'function' as const, function: { name: request.forceTool } } }
      : {}),
  };
  const started = Date.now();
  try {
    const response = request.stream
      ? await client.chat.completions
          .stream({ ...body, stream: true }, { signal: opts.signal })
          .finalChatCompletion()
      : await client.chat.completions.create(body, { signal: opts.signal });
    const message = response.choices?.[0]?.message;
    return {
      ms: Date.now() - started,
      text: message?.content ?? '',
      toolCalls: (message?.tool_calls ?? []).flatMap((c) => (c.type === 'function' ? [c.function.name] : [])),
      finishReason: response.choices?.[0]?.finish_reason ?? null,
    };
  } catch (err) {
    throw classifyModelError(err, { ...errorContextOf(config, opts.timeoutMs), model });
  }
}
