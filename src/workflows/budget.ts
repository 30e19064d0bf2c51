/**
 * Budget (`budget/<user_id>`): a user's spend budget, kept durably — the override set through
 * PUT /api/budgets/:user_id and what today's model calls have used. The model activity charges it
 * after every call (`chargeBudget`, update id per call attempt, so a retried charge counts once)
 * and reads it before the next one (`budget` query). Updates are applied one at a time, so
 * concurrent turns never lose a charge.
 *
 * A run lives for one UTC day at most: when the day is over and no update is in flight, a run
 * without an override ends (its counts are yesterday's; the next charge starts a new run), and a
 * run with one continues as new with it. Every UPDATES_PER_RUN updates it continues as new too, so
 * its history stays small however much the user spends, and each run ends before its run timeout
 * (src/shared/timeouts.ts). Deterministic code only.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  applyCharge,
  budgetQuery,
  chargeBudgetUpdate,
  EMPTY_BUDGET_STATE,
  nextBudgetDay,
  setBudgetUpdate,
  type BudgetInput,
  type BudgetState,
} from '../shared/budget';

/** About 4 events per update: a run stays near 2,000 events. */
const UPDATES_PER_RUN = 500;

export async function budget(input: BudgetInput): Promise<void> {
  let state: BudgetState = input.state ?? EMPTY_BUDGET_STATE;
  let updates = 0;
  setHandler(setBudgetUpdate, (override) => {
    updates++;
    const { override: _dropped, ...rest } = state;
    state = override ? { ...rest, override } : rest;
    return state;
  });
  setHandler(chargeBudgetUpdate, (charge) => {
    updates++;
    state = applyCharge(state, charge, new Date());
    return state;
  });
  setHandler(budgetQuery, () => state);
  const dayEnd = input.dayEndsAt ? Date.parse(input.dayEndsAt) : nextBudgetDay(new Date()).getTime();
  await condition(
    () => updates >= UPDATES_PER_RUN || workflowInfo().continueAsNewSuggested,
    Math.max(1, dayEnd - Date.now()),
  );
  await condition(allHandlersFinished);
  const dayOver = Date.now() >= dayEnd;
  if (dayOver && !state.override) return;
  await continueAsNew<typeof budget>({
    userId: input.userId,
    state,
    // Continued mid-day (by size): the same day's end.
    ...(input.dayEndsAt && !dayOver ? { dayEndsAt: input.dayEndsAt } : {}),
  });
}
