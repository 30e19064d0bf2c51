/**
 * What a model call cost, and how big a model's context is. Prices are list prices in USD per
 * 1M tokens, standard tier, uncached input.
 *
 * Source: https://platform.openai.com/docs/pricing (and https://openai.com/api/pricing), as
 * published in August 2025. Prices change: update this table, not the code, and keep the date.
 * Cached input is billed lower than shown here, so for prompts that hit the cache the cost is an
 * upper bound.
 *
 * Only names we know are priced: an unknown model (a compatible server's 'llama3', a new OpenAI
 * model) gets `null` rather than a guessed number that would look authoritative on an invoice.
 */
import type { Usage } from '../../shared/types';

interface ModelFacts {
  /** USD per 1M input (prompt) tokens. */
  input: number;
  /** USD per 1M output (completion) tokens, reasoning tokens included. */
  output: number;
  /** Context window in tokens, as the model page states it. */
  context: number;
}

const MODELS: Readonly<Record<string, ModelFacts>> = {
  'gpt-4o': { input: 2.5, output: 10, context: 128_000 },
  // The first gpt-4o snapshot kept its launch price; the alias moved on.
  'gpt-4o-2024-05-13': { input: 5, output: 15, context: 128_000 },
  'gpt-4o-mini': { input: 0.15, output: 0.6, context: 128_000 },
  'gpt-4.1': { input: 2, output: 8, context: 1_047_576 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6, context: 1_047_576 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4, context: 1_047_576 },
  o3: { input: 2, output: 8, context: 200_000 },
  'o3-mini': { input: 1.1, output: 4.4, context: 200_000 },
  'o4-mini': { input: 1.1, output: 4.4, context: 200_000 },
  'gpt-5': { input: 1.25, output: 10, context: 400_000 },
  'gpt-5-mini': { input: 0.25, output: 2, context: 400_000 },
  'gpt-5-nano': { input: 0.05, output: 0.4, context: 400_000 },
};

/** Context assumed for a model we do not know: the common size of current chat models. */
export const DEFAULT_CONTEXT_WINDOW = 128_000;

/** `gpt-4o-mini-2024-07-18` is the dated snapshot of `gpt-4o-mini`; the answer names the snapshot. */
const SNAPSHOT_SUFFIX = /-\d{4}-\d{2}-\d{2}$/;

/** The table entry for an exact name, else for the name without a dated-snapshot suffix; no other guessing. */
function factsOf(model: string): ModelFacts | undefined {
  const exact = MODELS[model];
  if (exact) return exact;
  return SNAPSHOT_SUFFIX.test(model) ? MODELS[model.replace(SNAPSHOT_SUFFIX, '')] : undefined;
}

/** USD per 1M tokens for a model, or null when it is not in the table. */
export function priceOf(model: string): { input: number; output: number } | null {
  const facts = factsOf(model);
  return facts ? { input: facts.input, output: facts.output } : null;
}

/** USD for one call, rounded to 6 decimals; null for a model without a known price. */
export function costOf(
  model: string,
  usage: Pick<Usage, 'prompt_tokens' | 'completion_tokens'>,
): number | null {
  const price = priceOf(model);
  if (!price) return null;
  const usd = (usage.prompt_tokens * price.input + usage.completion_tokens * price.output) / 1_000_000;
  return Math.round(usd * 1_000_000) / 1_000_000;
}

/** Context window in tokens; DEFAULT_CONTEXT_WINDOW for a model not in the table. */
export function contextWindowOf(model: string): number {
  return factsOf(model)?.context ?? DEFAULT_CONTEXT_WINDOW;
}
