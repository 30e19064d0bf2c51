/** POST /llm-task: one prompt → one JSON value, schema-checked (README.md; workflows/llm-task.ts). */
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { schemaProblem } from '../../clients/json-schema';
import type { Config } from '../../config';
import { WorkflowType, type LlmTaskWorkflow } from '../../shared/workflow-types';
import { makeLlmTaskId } from '../../shared/ids';
import { DEFAULT_LLM_TASK_TEMPERATURE, type LlmTaskInput } from '../../shared/llm-task';
import { oneShotErrors } from '../schemas/compact';
import { LlmTaskBodySchema, LlmTaskResultSchema } from '../schemas/llm-task';
import type { TurnRateLimiter } from '../rate-limit';
import type { TurnService } from '../turns';
import { sendRefusal } from './refusal';
import { budgetRefusal } from '../send-input';
import { BudgetError } from '../../shared/budget';

export interface LlmTaskRoutesOptions {
  config: Config;
  turns: TurnService;
  /** The caller's model-calling budget, shared with send and stream (rate-limit.ts). */
  limiter: TurnRateLimiter;
}

export const llmTaskRoutes: FastifyPluginAsyncZod<LlmTaskRoutesOptions> = async (
  app,
  { config, turns, limiter },
) => {
  app.post(
    '/llm-task',
    {
      schema: {
        tags: ['conversation'],
        summary: 'Ask the model for one JSON value, checked against a JSON Schema',
        description:
          'An answer that is not JSON or does not match the schema gets one more model call with the problem ' +
          'fed back; a second bad answer is a 502 with the reason.',
        body: LlmTaskBodySchema,
        response: { 200: LlmTaskResultSchema, ...oneShotErrors },
      },
    },
    async (request, reply) => {
      const body = request.body;
      if (body.schema) {
        const problem = schemaProblem(body.schema);
        if (problem)
          return reply
            .code(400)
            .send({ error: `invalid request: schema is not a usable JSON Schema: ${problem}` });
      }
      const input: LlmTaskInput = {
        prompt: body.prompt,
        input: body.input,
        schema: body.schema,
        temperature: body.temperature ?? DEFAULT_LLM_TASK_TEMPERATURE,
        maxTokens: body.max_tokens,
        // Only a tier name is honoured: model names belong to the worker's configuration.
        tier: body.model === 'cheap' ? 'cheap' : 'default',
        userId: body.user_id,
      };
      const admission = await limiter.admit(request, { forUser: false });
      if (!admission.ok) return sendRefusal(reply, admission);
      const workflowId = makeLlmTaskId(randomUUID());
      const outcome = await turns.run<LlmTaskWorkflow>(
        WorkflowType.llmTask,
        { workflowId, input, staticSummary: `llm task: ${firstLine(body.prompt)}` },
        config.server.sendTimeoutSec * 1000,
      );
      request.log.info({ workflow_id: workflowId, outcome: outcome.state }, 'llm task answered');
      if (outcome.state === 'completed') {
        const { output, usage, cost, validated, model } = outcome.result;
        return reply.send({ status: 'ok', output, usage, cost, validated, model });
      }
      if (outcome.state === 'pending') {
        return reply
          .code(504)
          .send({ error: 'the task is still running; retry later', details: { workflow_id: workflowId } });
      }
      if (outcome.failureType === BudgetError.Exhausted)
        return sendRefusal(reply, budgetRefusal(outcome.error));
      return reply
        .code(502)
        .send({ error: `LLM task failed: ${outcome.error}`, details: { workflow_id: workflowId } });
    },
  );
};

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0] ?? '';
  return line.length > 100 ? `${line.slice(0, 97)}...` : line;
}
