/**
 * A turn's token usage and cost as search attributes, and back. AgentTurn upserts them when it
 * finishes, completed or failed, so `GET /usage` can sum any user's turns over any window from Temporal visibility:
 * nothing is counted in a process, nothing is lost on restart, every API replica answers alike.
 * Workflow-safe: pure functions, no Node imports.
 */
import type { SearchAttributeUpdatePair, TypedSearchAttributes } from '@temporalio/common';
import {
  ClasperCompletionTokens,
  ClasperCostUsd,
  ClasperPromptTokens,
  ClasperUserId,
} from './search-attributes';
import type { Usage } from './types';

/** ClasperCostUsd of a turn whose cost is unknown (a model missing from the pricing table). */
export const UNKNOWN_COST = -1;
/** Marker for an unknown cost in micro-USD. */
export const UNKNOWN_COST_MICROS = -1;

/**
 * USD → whole micro-USD; null (unknown) → UNKNOWN_COST_MICROS. Sums are done in integer micros so
 * adding many small doubles does not drift (costs are rounded to 6 decimals where they are made).
 */
export function costToMicros(cost: number | null | undefined): number {
  if (cost === null || cost === undefined || !Number.isFinite(cost) || cost < 0) return UNKNOWN_COST_MICROS;
  return Math.round(cost * 1_000_000);
}

/**
 * The upsert that ends a turn. ClasperUserId is set again on purpose: a turn started without it
 * (e.g. a child workflow whose parent forgot) still counts for its user.
 */
export function usageSearchAttributes(
  userId: string,
  result: { usage: Usage; cost: number | null },
): SearchAttributeUpdatePair[] {
  const micros = costToMicros(result.cost);
  return [
    { key: ClasperUserId, value: userId },
    { key: ClasperPromptTokens, value: result.usage.prompt_tokens },
    { key: ClasperCompletionTokens, value: result.usage.completion_tokens },
    { key: ClasperCostUsd, value: micros === UNKNOWN_COST_MICROS ? UNKNOWN_COST : micros / 1_000_000 },
  ];
}

/** One turn's usage as read back from visibility; `recorded: false` for turns that finished without it. */
export interface TurnUsage {
  userId: string;
  recorded: boolean;
  /** The turn failed (its model calls' tokens still count). */
  failed: boolean;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  /** UNKNOWN_COST_MICROS when unknown. */
  costMicros: number;
}

/** Total tokens are prompt + completion, as OpenAI defines them. */
export function turnUsageFrom(attrs: TypedSearchAttributes, failed = false): TurnUsage {
  const prompt = attrs.get(ClasperPromptTokens);
  const completion = attrs.get(ClasperCompletionTokens);
  const recorded = prompt !== undefined && completion !== undefined;
  return {
    userId: attrs.get(ClasperUserId) ?? '',
    recorded,
    failed,
    promptTokens: prompt ?? 0,
    completionTokens: completion ?? 0,
    totalTokens: (prompt ?? 0) + (completion ?? 0),
    costMicros: costToMicros(attrs.get(ClasperCostUsd)),
  };
}

export interface UsageTotals {
  /** Completed and failed turns in the window. */
  turns: number;
  /** Of those, the failed ones. */
  failedTurns: number;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  /** Sum over the turns whose cost is known. */
  costMicros: number;
  /** Turns whose cost is unknown: costMicros understates the spend by these. */
  turnsWithoutCost: number;
  /** Turns that finished before usage was recorded on turns: their tokens are not in the sums. */
  turnsWithoutUsage: number;
}

export const EMPTY_TOTALS: UsageTotals = {
  turns: 0,
  failedTurns: 0,
  promptTokens: 0,
  completionTokens: 0,
  totalTokens: 0,
  costMicros: 0,
  turnsWithoutCost: 0,
  turnsWithoutUsage: 0,
};

export function addTurn(totals: UsageTotals, turn: TurnUsage): UsageTotals {
  const costKnown = turn.recorded && turn.costMicros >= 0;
  return {
    turns: totals.turns + 1,
    failedTurns: totals.failedTurns + (turn.failed ? 1 : 0),
    promptTokens: totals.promptTokens + turn.promptTokens,
    completionTokens: totals.completionTokens + turn.completionTokens,
    totalTokens: totals.totalTokens + turn.totalTokens,
    costMicros: totals.costMicros + (costKnown ? turn.costMicros : 0),
    turnsWithoutCost: totals.turnsWithoutCost + (costKnown ? 0 : 1),
    turnsWithoutUsage: totals.turnsWithoutUsage + (turn.recorded ? 0 : 1),
  };
}

/** Per-user totals plus the grand total, users in id order. */
export function sumByUser(turns: Iterable<TurnUsage>): {
  users: Map<string, UsageTotals>;
  total: UsageTotals;
} {
  const users = new Map<string, UsageTotals>();
  let total = EMPTY_TOTALS;
  for (const turn of turns) {
    users.set(turn.userId, addTurn(users.get(turn.userId) ?? EMPTY_TOTALS, turn));
    total = addTurn(total, turn);
  }
  return { users: new Map([...users].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))), total };
}
