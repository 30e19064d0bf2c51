/** Per-user budgets (README, "Budgets"). */
import { z } from 'zod';
import { UserIdSchema } from './common';

export const BudgetParamsSchema = z.object({ user_id: UserIdSchema });

export const BudgetBodySchema = z
  .strictObject({
    tokens_per_day: z.number().int().min(0).max(1_000_000_000_000).optional().describe('0 = no token limit'),
    usd_per_day: z.number().min(0).max(1_000_000).optional().describe('0 = no USD limit'),
  })
  .describe('BudgetOverride');

export const BudgetStatusSchema = z
  .object({
    user_id: z.string(),
    tokens_per_day: z.number().describe('0 = no limit'),
    usd_per_day: z.number().describe('0 = no limit'),
    source: z.enum(['override', 'default']),
    used_tokens_today: z.number(),
    used_usd_today: z.number(),
    remaining_tokens: z.number().nullable(),
    remaining_usd: z.number().nullable(),
    resets_at: z.string().describe('the next budget day (UTC midnight)'),
    exhausted: z.string().optional().describe('why the next model call would be refused'),
  })
  .describe('BudgetStatus');
