/**
 * Per-user spend budgets: tokens and USD per UTC day. One Budget workflow per user
 * (`budget/<user_id>`, src/workflows/budget.ts) keeps the user's override and what the day has
 * used; the model activity reads it before every model call and charges it after
 * (src/activities/budget.ts), so every turn type — send, notification, heartbeat, standup,
 * compact, llm-task — stops before a call the budget no longer covers. Workflow-safe: definitions
 * and pure functions only.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';

/** Per day; 0 = no limit. */
export interface BudgetLimits {
  tokens_per_day: number;
  usd_per_day: number;
}

/** A user's override of the defaults (CLASPER_BUDGET_*); an absent field keeps the default. */
export type BudgetOverride = Partial<BudgetLimits>;

export interface BudgetState {
  override?: BudgetOverride;
  /** The UTC day `tokens` and `micros` count, `YYYY-MM-DD`; '' before the first charge. */
  day: string;
  tokens: number;
  /** USD in whole micro-dollars, summed exactly. */
  micros: number;
}

/** One model call's spend (its update id names the call attempt, so a repeated charge counts once). */
export interface BudgetCharge {
  tokens: number;
  micros: number;
}

export interface BudgetInput {
  userId: string;
  /** What a continued run inherits. */
  state?: BudgetState;
  /**
   * When this run's budget day ends (ISO); absent: the next UTC midnight. A test sets it to see a
   * day end without waiting for one.
   */
  dayEndsAt?: string;
}

export const BUDGET_PREFIX = 'budget/';

/** The `budget` field of a model call for this user; none when the caller named no user. */
export function budgetFor(userId: string | undefined): { budget?: { userId: string } } {
  return userId ? { budget: { userId } } : {};
}

export function makeBudgetWorkflowId(userId: string): string {
  return `${BUDGET_PREFIX}${userId}`;
}

export const BudgetError = { Exhausted: 'Budget.Exhausted' } as const;

export const setBudgetUpdate = defineUpdate<BudgetState, [BudgetOverride | null]>('setBudget');
export const chargeBudgetUpdate = defineUpdate<BudgetState, [BudgetCharge]>('chargeBudget');
export const budgetQuery = defineQuery<BudgetState>('budget');

export const EMPTY_BUDGET_STATE: BudgetState = { day: '', tokens: 0, micros: 0 };

export function budgetDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** The state after one charge at `at`: a new day starts from zero. */
export function applyCharge(state: BudgetState, charge: BudgetCharge, at: Date): BudgetState {
  const day = budgetDay(at);
  const base = state.day === day ? state : { ...state, day, tokens: 0, micros: 0 };
  return { ...base, tokens: base.tokens + charge.tokens, micros: base.micros + Math.max(0, charge.micros) };
}

/** What GET /api/budgets/:user_id and GET /usage show, and what the model activity decides on. */
export interface BudgetStatus {
  user_id: string;
  tokens_per_day: number;
  usd_per_day: number;
  /** `override` when the user has one (PUT /api/budgets/:user_id), else `default`. */
  source: 'override' | 'default';
  used_tokens_today: number;
  used_usd_today: number;
  /** null when that limit is off. */
  remaining_tokens: number | null;
  remaining_usd: number | null;
  /** The start of the next budget day (UTC midnight). */
  resets_at: string;
  /** Why the next model call would be refused; absent while the budget covers it. */
  exhausted?: string;
}

const count = (n: number) => n.toLocaleString('en-US');
/** Dollars with cents, and the smaller digits a tiny budget needs: $5.00, $0.0015. */
function usd(n: number): string {
  const [whole, frac = ''] = n.toFixed(6).replace(/0+$/, '').split('.');
  return `$${whole}.${frac.padEnd(2, '0')}`;
}

export function budgetStatus(
  userId: string,
  state: BudgetState | undefined,
  defaults: BudgetLimits,
  now: Date,
): BudgetStatus {
  const override = state?.override;
  const tokensPerDay = override?.tokens_per_day ?? defaults.tokens_per_day;
  const usdPerDay = override?.usd_per_day ?? defaults.usd_per_day;
  const today = state?.day === budgetDay(now);
  const usedTokens = today ? (state?.tokens ?? 0) : 0;
  const usedMicros = today ? (state?.micros ?? 0) : 0;
  const limitMicros = Math.round(usdPerDay * 1_000_000);
  const exhausted =
    tokensPerDay > 0 && usedTokens >= tokensPerDay
      ? `budget exhausted: ${count(usedTokens)} of ${count(tokensPerDay)} tokens used today`
      : limitMicros > 0 && usedMicros >= limitMicros
        ? `budget exhausted: ${usd(usedMicros / 1_000_000)} of ${usd(usdPerDay)} used today`
        : undefined;
  return {
    user_id: userId,
    tokens_per_day: tokensPerDay,
    usd_per_day: usdPerDay,
    source: override ? 'override' : 'default',
    used_tokens_today: usedTokens,
    used_usd_today: usedMicros / 1_000_000,
    remaining_tokens: tokensPerDay > 0 ? Math.max(0, tokensPerDay - usedTokens) : null,
    remaining_usd: limitMicros > 0 ? Math.max(0, limitMicros - usedMicros) / 1_000_000 : null,
    resets_at: nextBudgetDay(now).toISOString(),
    ...(exhausted ? { exhausted } : {}),
  };
}

/** True when any limit applies, so model calls are charged. */
export function budgetActive(status: Pick<BudgetStatus, 'tokens_per_day' | 'usd_per_day'>): boolean {
  return status.tokens_per_day > 0 || status.usd_per_day > 0;
}

export function nextBudgetDay(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
}

/** Whole seconds until the next budget day, at least 1: the Retry-After of a refused send. */
export function secondsUntilNextBudgetDay(now: Date): number {
  return Math.max(1, Math.ceil((nextBudgetDay(now).getTime() - now.getTime()) / 1000));
}
