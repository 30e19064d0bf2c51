/** POST /compact: summarise older turns into one system message (README.md; workflows/compact.ts). */
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Config } from '../../config';
import { WorkflowType, type CompactWorkflow } from '../../shared/workflow-types';
import { splitForCompaction } from '../../shared/compact';
import { makeCompactId } from '../../shared/ids';
import { ZERO_USAGE } from '../../shared/turn';
import { CompactBodySchema, CompactResultSchema, oneShotErrors } from '../schemas/compact';
import type { TurnRateLimiter } from '../rate-limit';
import type { TurnService } from '../turns';
import { sendRefusal } from './refusal';
import { budgetRefusal } from '../send-input';
import { BudgetError } from '../../shared/budget';

export interface CompactRoutesOptions {
  config: Config;
  turns: TurnService;
  /** The caller's model-calling budget, shared with send and stream (rate-limit.ts). */
  limiter: TurnRateLimiter;
}

export const compactRoutes: FastifyPluginAsyncZod<CompactRoutesOptions> = async (
  app,
  { config, turns, limiter },
) => {
  app.post(
    '/compact',
    {
      schema: {
        tags: ['conversation'],
        summary: 'Summarise older messages into one system message, keeping the most recent ones',
        description:
          'Feed `compacted_messages` back to /api/agents/send as `messages`: system messages are folded into ' +
          'the system prompt (## Conversation Context), so the summary reaches the model.',
        body: CompactBodySchema,
        response: { 200: CompactResultSchema, ...oneShotErrors },
      },
    },
    async (request, reply) => {
      const { messages, instructions, keep_recent: keepRecent } = request.body;
      // Nothing to summarise: no model call, so no workflow either.
      if (splitForCompaction(messages, keepRecent).older.length === 0) {
        return reply.send({
          status: 'ok',
          compacted_messages: messages,
          usage: ZERO_USAGE,
          original_count: messages.length,
          compacted_count: messages.length,
        });
      }
      const admission = await limiter.admit(request, { forUser: false });
      if (!admission.ok) return sendRefusal(reply, admission);
      const workflowId = makeCompactId(randomUUID());
      const outcome = await turns.run<CompactWorkflow>(
        WorkflowType.compactConversation,
        {
          workflowId,
          input: { messages, instructions, keepRecent, userId: request.body.user_id },
          staticSummary: `compact ${messages.length} messages, keep ${keepRecent}`,
        },
        config.server.sendTimeoutSec * 1000,
      );
      request.log.info({ workflow_id: workflowId, outcome: outcome.state }, 'compaction answered');
      if (outcome.state === 'completed') return reply.send(outcome.result);
      if (outcome.state === 'pending') {
        return reply.code(504).send({
          error: 'the compaction is still running; retry later',
          details: { workflow_id: workflowId },
        });
      }
      if (outcome.failureType === BudgetError.Exhausted)
        return sendRefusal(reply, budgetRefusal(outcome.error));
      return reply
        .code(502)
        .send({ error: `compaction failed: ${outcome.error}`, details: { workflow_id: workflowId } });
    },
  );
};
