/**
 * The model client: one chat-completions call, mapped to the plain `CallModelResult` the workflow
 * keeps. Retries are Temporal's alone (the client runs with `maxRetries: 0`), so every attempt
 * shows in the UI and honours `Retry-After` through the failure's `nextRetryDelay`. The `callModel`
 * activity (src/activities/model.ts) passes its cancellation signal in.
 *
 * With neither OPENAI_API_KEY nor OPENAI_BASE_URL configured it answers from the offline demo
 * model instead, so a fresh checkout runs end to end without a key.
 */
import { ApplicationFailure } from '@temporalio/common';
import type OpenAI from 'openai';
import type {
  ChatCompletion,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import type {
  CallModelInput,
  CallModelResult,
  ChatMessage,
  ToolCall,
  ToolSpec,
  Usage,
} from '../../shared/types';
import { splitIntoChunks } from '../../shared/chunks';
import { demoCallModel } from './demo-model';
import {
  ModelError,
  classifyModelError,
  emptyAnswer,
  invalidResponse,
  noFallbackConfigured,
  promptTooLong,
  streamStalled,
  type ModelErrorContext,
} from './errors';
import { buildOpenAiClient, errorContextOf, isDemoMode, type LlmConfig } from './openai-client';
import { costOf } from './pricing';
import { StreamStalled, streamCompletion } from './stream-completion';
import { estimatePromptTokens } from './tokens';

/**
 * Per-attempt deadline. A chat answer for an agent step normally arrives within seconds; a hung
 * connection must fail well inside the activity's start-to-close timeout so Temporal can retry it,
 * while long tool-planning answers still fit. The activity's startToCloseTimeout must exceed this.
 */
export const DEFAULT_MODEL_TIMEOUT_SEC = 60;
export const MODEL_REQUEST_TIMEOUT_MS = DEFAULT_MODEL_TIMEOUT_SEC * 1000;
/** Between two chunks of a streamed answer: even a CPU-bound local model writes a token a second. */
export const DEFAULT_STREAM_IDLE_TIMEOUT_SEC = 30;

/** Per call: the activity's cancellation signal, passed through to the HTTP request, and its attempt. */
export interface ModelCallOptions {
  signal?: AbortSignal;
  /**
   * Set: the call streams (`stream: true`) and hands each text delta here as it arrives; the
   * result is the same as without streaming, assembled from the chunks by the openai client. With
   * LLM_STREAM_WITH_TOOLS=false a call that offers tools does not stream and never calls it.
   */
  onText?: (delta: string) => void;
  /** 1-based activity attempt; a server's validation 500 is retried once, then fails for good. */
  attempt?: number;
}

export interface ModelClient {
  callModel(input: CallModelInput, opts?: ModelCallOptions): Promise<CallModelResult>;
}

/** The configured model for a tier; the fallback tier without LLM_MODEL_FALLBACK is a non-retryable failure. */
export function resolveModelName(config: LlmConfig, tier: CallModelInput['tier']): string {
  switch (tier) {
    case 'default':
      return config.model;
    case 'cheap':
      return config.cheapModel ?? config.model;
    case 'fallback':
      if (!config.fallbackModel) throw noFallbackConfigured();
      return config.fallbackModel;
    default:
      // A workflow built against another version of the types; say so instead of guessing.
      throw ApplicationFailure.create({
        message: `Unknown model tier '${String(tier)}': expected default, fallback or cheap`,
        type: ModelError.InvalidInput,
        nonRetryable: true,
      });
  }
}

/**
 * Whether a call that has a stream to feed really streams: LLM_STREAM_WITH_TOOLS=false asks a step
 * that offers tools whole, and the turn's stream log shows its text when the step settles.
 */
export function streamsWhenAsked(config: LlmConfig, input: Pick<CallModelInput, 'tools'>): boolean {
  return config.streamWithTools !== false || !input.tools || input.tools.length === 0;
}

export function createModelClient(options: {
  config: LlmConfig;
  /** A ready client (tests point one at the fake server); built from config when omitted. */
  openai?: OpenAI;
  requestTimeoutMs?: number;
}): ModelClient {
  const { config } = options;
  const timeout =
    options.requestTimeoutMs ??
    (config.requestTimeoutSec !== undefined ? config.requestTimeoutSec * 1000 : MODEL_REQUEST_TIMEOUT_MS);
  const client = options.openai ?? (isDemoMode(config) ? undefined : buildOpenAiClient(config, timeout));
  const errorContext = errorContextOf(config, timeout);
  const idleMs = (config.streamIdleTimeoutSec ?? DEFAULT_STREAM_IDLE_TIMEOUT_SEC) * 1000;

  return {
    async callModel(input: CallModelInput, opts: ModelCallOptions = {}): Promise<CallModelResult> {
      if (!client) return demoAnswer(input, opts.onText);
      const model = resolveModelName(config, input.tier);
      const { signal, onText } = opts;
      const maxTokens = fitOutput(config, model, input, { ...errorContext, model });
      let response: ChatCompletion;
      try {
        // Per-request options too, so an injected client obeys the same no-retry, bounded-time rule.
        const request = chatRequest(model, { ...input, maxTokens });
        const streams = onText !== undefined && streamsWhenAsked(config, input);
        response = streams
          ? await streamCompletion(client, request, { signal, firstChunkMs: timeout, idleMs, onText })
          : await client.chat.completions.create(request, { maxRetries: 0, timeout, signal });
      } catch (err) {
        // A cancelled activity must end as a cancellation, not as a model failure that gets retried.
        if (signal?.aborted) throw signal.reason ?? err;
        if (err instanceof StreamStalled) throw streamStalled(err, { ...errorContext, model });
        throw classifyModelError(err, { ...errorContext, model, attempt: opts.attempt });
      }
      const shown = model === config.model ? config.modelLabel : undefined;
      return toResult(response, model, shown, { ...errorContext, model }, input.rejectEmpty === true);
    },
  };
}

/** The demo model's answer, its text handed out a few words at a time when the caller streams. */
function demoAnswer(input: CallModelInput, onText?: (delta: string) => void): CallModelResult {
  const result = demoCallModel(input);
  if (onText && result.content) for (const piece of splitIntoChunks(result.content, 24)) onText(piece);
  return result;
}

/**
 * o-series and gpt-5 reasoning models reject `max_tokens` and any non-default `temperature`;
 * everything else (including most OpenAI-compatible servers) expects the classic `max_tokens`.
 */
function isReasoningModel(model: string): boolean {
  return /^o\d/.test(model) || (/^gpt-5/.test(model) && !/^gpt-5(\.\d+)?-chat/.test(model));
}

function chatRequest(model: string, input: CallModelInput): ChatCompletionCreateParamsNonStreaming {
  const reasoning = isReasoningModel(model);
  const tools = input.tools && input.tools.length > 0 ? input.tools : undefined;
  return {
    model,
    messages: wireMessages(input.messages),
    ...(tools ? { tools: wireTools(tools), tool_choice: 'auto' as const } : {}),
    ...(input.temperature !== undefined && !reasoning ? { temperature: input.temperature } : {}),
    ...(input.maxTokens !== undefined
      ? reasoning
        ? { max_completion_tokens: input.maxTokens }
        : { max_tokens: input.maxTokens }
      : {}),
    ...(input.json ? { response_format: { type: 'json_object' as const } } : {}),
  };
}

/**
 * The messages as every compatible server accepts them. The workflow keeps an assistant message
 * that only calls tools with `content: null` (OpenAI's own answer shape), but llama.cpp's server
 * (and other pydantic-validated servers) reject null or missing content with a 500 "Input should
 * be a valid string"; OpenAI accepts `""` beside `tool_calls`. Normalising here, at the boundary to
 * the server, leaves workflow history unchanged. Only the fields the spec defines are sent.
 */
export function wireMessages(messages: ChatMessage[]): ChatCompletionMessageParam[] {
  return messages.map((m): ChatCompletionMessageParam => {
    switch (m.role) {
      case 'assistant': {
        const calls = m.tool_calls ?? [];
        return {
          role: 'assistant',
          content: m.content ?? '',
          ...(calls.length > 0
            ? {
                tool_calls: calls.map((c) => ({
                  id: c.id,
                  type: 'function' as const,
                  function: { name: c.function.name, arguments: c.function.arguments ?? '' },
                })),
              }
            : {}),
        };
      }
      case 'tool':
        return { role: 'tool', tool_call_id: m.tool_call_id, content: m.content };
      default:
        return { role: m.role, content: m.content };
    }
  });
}

/**
 * Above this, a length or count bound in a tool schema is left out of what the server sees.
 * Servers that constrain tool arguments with a grammar (llama.cpp's function-calling chat formats)
 * compile `maxLength: 20000` into 20,000 nested optional rules: llama.cpp refuses a grammar past
 * about 1,000 of them and llama-cpp-python 0.3.36 then samples with a null grammar and segfaults.
 * The bound still holds: every tool's arguments are validated where the tool runs (the built-in
 * tools' zod schemas, the backend's own checks), and a too-long argument comes back to the model
 * as a tool error. OpenAI does not enforce these keywords outside strict mode anyway.
 */
export const MAX_WIRE_SCHEMA_BOUND = 500;
const SIZE_BOUNDS = new Set(['maxLength', 'minLength', 'maxItems', 'minItems']);

/** The tools as every compatible server can use them: see MAX_WIRE_SCHEMA_BOUND. */
export function wireTools(tools: ToolSpec[]): ToolSpec[] {
  return tools.map((t) => ({
    ...t,
    function: {
      ...t.function,
      parameters: withoutLargeBounds(t.function.parameters) as Record<string, unknown>,
    },
  }));
}

function withoutLargeBounds(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutLargeBounds);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    // Only a number is a bound; a property that happens to be called `maxLength` is an object.
    if (SIZE_BOUNDS.has(key) && typeof value === 'number' && value > MAX_WIRE_SCHEMA_BOUND) continue;
    out[key] = withoutLargeBounds(value);
  }
  return out;
}

/**
 * The `max_tokens` to send: the caller's, else LLM_MAX_OUTPUT_TOKENS, never more than the context
 * window leaves after the prompt (a local server refuses a request whose prompt plus output
 * exceeds its context). A prompt that cannot fit at all fails here, before the call, non-retryably.
 * Only with LLM_CONTEXT_WINDOW set: OpenAI's windows are large and its own 400 says the same.
 */
function fitOutput(
  config: LlmConfig,
  model: string,
  input: CallModelInput,
  ctx: ModelErrorContext,
): number | undefined {
  const wanted = input.maxTokens ?? config.maxOutputTokens;
  const window = config.contextWindow;
  if (window === undefined) return wanted;
  const prompt = estimatePromptTokens(model, input.messages, input.tools ?? [], { limit: window });
  const room = window - prompt.tokens;
  if (room < MIN_ANSWER_TOKENS) throw promptTooLong(prompt, window, ctx);
  return wanted === undefined ? undefined : Math.min(wanted, room);
}

/** Fewer tokens than this left for the answer and no useful answer fits; the call is not made. */
const MIN_ANSWER_TOKENS = 16;

/** Shows a model file path (`/models/SmolLM2-135M.Q8_0.gguf`, as llama.cpp names a model without an alias) as its file's stem. */
export function displayModelName(name: string): string {
  const looksLikePath =
    /^(?:\/|\.{1,2}\/|~\/|[A-Za-z]:[\\/])/.test(name) || /\.(?:gguf|bin|safetensors)$/i.test(name);
  if (!looksLikePath) return name;
  const file = name.split(/[\\/]/).pop() ?? name;
  return file.replace(/\.(?:gguf|bin|safetensors)$/i, '') || name;
}

function toResult(
  response: ChatCompletion,
  requestedModel: string,
  label: string | undefined,
  ctx: ModelErrorContext,
  rejectEmpty: boolean,
): CallModelResult {
  // A wrong OPENAI_BASE_URL can answer 200 with anything; check the one thing we rely on.
  const choice = Array.isArray(response?.choices) ? response.choices[0] : undefined;
  if (!choice?.message) throw invalidResponse('the body has no choices[0].message', ctx);
  const { message } = choice;
  const toolCalls: ToolCall[] = (message.tool_calls ?? [])
    // Custom (free-form) tool calls are never offered by us; only function calls are actionable.
    .filter((c) => c.type === 'function')
    .map((c) => ({
      id: c.id,
      type: 'function',
      function: { name: c.function.name, arguments: c.function.arguments ?? '' },
    }));
  // A refusal is the model's answer to the user, so it is passed on as the text.
  const content = message.content ?? message.refusal ?? null;
  if (rejectEmpty && toolCalls.length === 0 && (content ?? '').trim() === '')
    throw emptyAnswer(choice.finish_reason ?? null, ctx);
  const usage = usageOf(response.usage);
  const answered =
    typeof response.model === 'string' && response.model !== '' ? response.model : requestedModel;
  const model = label ?? displayModelName(answered);
  return {
    model,
    content,
    toolCalls,
    finishReason: choice.finish_reason ?? null,
    usage,
    // The answer names a snapshot (gpt-4o-mini-2024-07-18) or a proxy's alias; the asked-for name is the next best price.
    cost: costOf(answered, usage) ?? costOf(requestedModel, usage),
  };
}

function usageOf(usage: ChatCompletion['usage']): Usage {
  const prompt = count(usage?.prompt_tokens);
  const completion = count(usage?.completion_tokens);
  const total = usage?.total_tokens;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: typeof total === 'number' && total >= 0 ? total : prompt + completion,
  };
}

function count(n: unknown): number {
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : 0;
}
