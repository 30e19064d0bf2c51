/**
 * The budget gate of every model call: before it, the user's budget (src/workflows/budget.ts) is
 * read and an exhausted one stops the call with a non-retryable `Budget.Exhausted` failure whose
 * message says why; after it, the call's tokens and cost are charged. Check and charge are not one
 * step: calls running at the same time each pass the check, so a budget can be overshot by the
 * calls already past their check (one per running turn), never by more. A charge that fails is
 * logged and the answer kept — the tokens are spent already, and calling the model again to retry
 * would spend more.
 */
import { log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { readBudget, updateBudget } from '../clients/temporal/budgets';
import {
  budgetActive,
  budgetStatus,
  BudgetError,
  chargeBudgetUpdate,
  type BudgetLimits,
} from '../shared/budget';
import type { CallModelResult } from '../shared/types';
import { costToMicros } from '../shared/usage';
import { temporalContext } from './context';

export interface BudgetGate {
  /** Throws when the budget is exhausted; true when a limit applies, so the call is charged. */
  check(userId: string): Promise<boolean>;
  charge(userId: string, result: CallModelResult): Promise<void>;
}

export function createBudgetGate(defaults: BudgetLimits): BudgetGate {
  return {
    async check(userId) {
      const ctx = temporalContext();
      if (!ctx) return false;
      const status = budgetStatus(userId, await readBudget(ctx.client, userId), defaults, new Date());
      if (status.exhausted)
        throw ApplicationFailure.create({
          message: status.exhausted,
          type: BudgetError.Exhausted,
          nonRetryable: true,
          details: [{ resets_at: status.resets_at }],
        });
      return budgetActive(status);
    },
    async charge(userId, result) {
      const ctx = temporalContext();
      if (!ctx) return;
      try {
        await updateBudget(
          ctx.client,
          { taskQueue: ctx.taskQueue, userId, updateId: ctx.attemptKey },
          chargeBudgetUpdate,
          { tokens: result.usage.total_tokens, micros: Math.max(0, costToMicros(result.cost)) },
        );
      } catch (err) {
        log.warn('could not charge the model call to the budget; it is not counted', {
          user_id: userId,
          error: err instanceof Error ? err.message : String(err),
        });
      }
    },
  };
}
