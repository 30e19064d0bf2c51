/**
 * Budgets for the API: a user's status (limits, used today, remaining) for GET /api/budgets, GET
 * /usage and the check before a send starts a turn, and setting or removing the user's override.
 * The state lives in the user's Budget workflow (src/workflows/budget.ts), never in this process.
 */
import type { Client } from '@temporalio/client';
import { readBudget, updateBudget } from '../clients/temporal/budgets';
import type { Config } from '../config';
import { budgetStatus, setBudgetUpdate, type BudgetOverride, type BudgetStatus } from '../shared/budget';

export class BudgetService {
  constructor(
    private readonly client: Client,
    private readonly config: Config,
  ) {}

  async status(userId: string, now = new Date()): Promise<BudgetStatus> {
    return budgetStatus(userId, await readBudget(this.client, userId), this.config.budgets, now);
  }

  /** Sets the override (null: removes it, the defaults apply again); answers the new status. */
  async set(userId: string, override: BudgetOverride | null): Promise<BudgetStatus> {
    const state = await updateBudget(
      this.client,
      { taskQueue: this.config.temporal.taskQueue, userId },
      setBudgetUpdate,
      override,
    );
    return budgetStatus(userId, state, this.config.budgets, new Date());
  }
}
