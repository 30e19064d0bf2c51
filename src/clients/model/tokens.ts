/**
 * How many tokens a prompt takes: the real tokenizer (js-tiktoken) for OpenAI model families, the
 * rough characters/4 estimate for anything else (a local GGUF model has its own tokenizer, which
 * only its server knows). Every estimate says which method made it, so `/context` and `doctor` can
 * label a guess as a guess. Tool schemas count too: a server renders them into the prompt.
 */
import type * as Lite from 'js-tiktoken/lite' with { 'resolution-mode': 'import' };
import type { TiktokenBPE } from 'js-tiktoken/lite' with { 'resolution-mode': 'import' };
import type { ChatMessage, ToolSpec } from '../../shared/types';

// js-tiktoken ships CommonJS builds beside its ES modules, but its type declarations are ES-only,
// so this CommonJS project takes the types by `import type` and the code by `require`. The ranks
// (a few MB each) load on first use, never in a process that only talks to a local model.
/* eslint-disable @typescript-eslint/no-require-imports */
const lite = (): typeof Lite => require('js-tiktoken/lite') as typeof Lite;
const ranksOf = (encoding: 'o200k_base' | 'cl100k_base'): TiktokenBPE =>
  (encoding === 'o200k_base'
    ? require('js-tiktoken/ranks/o200k_base')
    : require('js-tiktoken/ranks/cl100k_base')) as TiktokenBPE;
/* eslint-enable @typescript-eslint/no-require-imports */
type Tiktoken = Lite.Tiktoken;
type TiktokenModel = Lite.TiktokenModel;

export type TokenMethod = 'tiktoken:o200k_base' | 'tiktoken:cl100k_base' | 'rough:chars/4';

export interface TokenEstimate {
  tokens: number;
  method: TokenMethod;
}

/**
 * OpenAI's chat format wraps every message in a few tokens (role, separators) and primes the reply
 * with 3 more; the same allowance stands in for other servers' chat templates.
 */
const TOKENS_PER_MESSAGE = 4;
const REPLY_PRIMING_TOKENS = 3;

/** A name no tokenizer claims, for asking the rough counter. */
const ROUGH_MODEL = '';

const SNAPSHOT_SUFFIX = /-\d{4}-\d{2}-\d{2}$/;
const encoders = new Map<string, Tiktoken>();

/** The tiktoken encoding of an OpenAI model name (dated snapshots too), or undefined for any other model. */
function encodingOf(model: string): 'o200k_base' | 'cl100k_base' | undefined {
  for (const name of [model, model.replace(SNAPSHOT_SUFFIX, '')]) {
    try {
      const encoding = lite().getEncodingNameForModel(name as TiktokenModel);
      if (encoding === 'o200k_base' || encoding === 'cl100k_base') return encoding;
      return undefined;
    } catch {
      // not a name tiktoken knows: try the next spelling, then fall back to the rough estimate
    }
  }
  return undefined;
}

function encoder(encoding: 'o200k_base' | 'cl100k_base'): Tiktoken {
  let enc = encoders.get(encoding);
  if (!enc) {
    // Building the rank table takes ~100 ms; once per process and encoding.
    enc = new (lite().Tiktoken)(ranksOf(encoding));
    encoders.set(encoding, enc);
  }
  return enc;
}

/** A counter for one model's text: the method it uses and the count of a string. */
export function tokenCounter(model: string): { method: TokenMethod; count(text: string): number } {
  const encoding = encodingOf(model);
  if (!encoding) return { method: 'rough:chars/4', count: (text) => Math.ceil(text.length / 4) };
  const enc = encoder(encoding);
  // Special-token text in a prompt ('<|endoftext|>') is counted as text, never rejected.
  return { method: `tiktoken:${encoding}`, count: (text) => enc.encode(text, [], []).length };
}

/** What the method means, for people: `/context` and `doctor` print it beside the number. */
export function describeTokenMethod(method: TokenMethod): string {
  return method === 'rough:chars/4'
    ? 'rough estimate (characters / 4; the server tokenizes with its own vocabulary)'
    : `counted with ${method.slice('tiktoken:'.length)} (js-tiktoken)`;
}

/**
 * Below this share of a limit the rough estimate is answer enough: it is within ~30% of a real
 * tokenizer on English text, and building tiktoken's table costs a second or more of CPU once
 * per process, which a worker should only pay when a prompt comes near its window.
 */
const EXACT_FROM_SHARE = 0.5;

/**
 * Tokens of a whole request's prompt: every message with its framing, the tool calls, and the
 * tool schemas. With `limit`, prompts far below it are only roughly counted (see EXACT_FROM_SHARE).
 */
export function estimatePromptTokens(
  model: string,
  messages: readonly ChatMessage[],
  tools: readonly ToolSpec[] = [],
  opts: { limit?: number } = {},
): TokenEstimate {
  if (opts.limit !== undefined) {
    const rough = estimatePromptTokens(ROUGH_MODEL, messages, tools);
    if (rough.tokens < opts.limit * EXACT_FROM_SHARE) return rough;
  }
  const counter = tokenCounter(model);
  let tokens = REPLY_PRIMING_TOKENS;
  for (const m of messages) {
    tokens += TOKENS_PER_MESSAGE + counter.count(m.content ?? '');
    if (m.role === 'assistant')
      for (const c of m.tool_calls ?? []) tokens += counter.count(c.function.name + c.function.arguments);
  }
  tokens += estimateToolTokens(model, tools).tokens;
  return { tokens, method: counter.method };
}

/** Tokens the tool schemas add to every request that offers them. */
export function estimateToolTokens(model: string, tools: readonly ToolSpec[]): TokenEstimate {
  const counter = tokenCounter(model);
  const tokens = tools.length === 0 ? 0 : counter.count(JSON.stringify(tools));
  return { tokens, method: counter.method };
}
