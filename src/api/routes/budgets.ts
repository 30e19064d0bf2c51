/** PUT, GET and DELETE /api/budgets/:user_id (README.md, "Budgets"). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { BudgetService } from '../budgets';
import { BudgetBodySchema, BudgetParamsSchema, BudgetStatusSchema } from '../schemas/budgets';
import { errorResponses } from '../schemas/common';

export const budgetRoutes: FastifyPluginAsyncZod<{ budgets: BudgetService }> = async (app, { budgets }) => {
  const schema = (summary: string) => ({
    tags: ['budgets'],
    summary,
    params: BudgetParamsSchema,
    response: { 200: BudgetStatusSchema, ...errorResponses },
  });
  app.get(
    '/api/budgets/:user_id',
    { schema: schema("A user's daily budget: limits, used today, remaining") },
    (request) => budgets.status(request.params.user_id),
  );
  app.put(
    '/api/budgets/:user_id',
    {
      schema: { ...schema("Set a user's daily budget, overriding CLASPER_BUDGET_*"), body: BudgetBodySchema },
    },
    (request) => budgets.set(request.params.user_id, request.body),
  );
  app.delete(
    '/api/budgets/:user_id',
    { schema: schema("Remove a user's override: the defaults apply again") },
    (request) => budgets.set(request.params.user_id, null),
  );
};
