/** POST /api/agents/send and GET /api/agents/turns/:turn_id (DESIGN §6.1). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { sealWebhookSecrets } from '../../activities/webhook/sealed';
import { checkWebhookUrlSyntax } from '../../activities/webhook/url-policy';
import { isAgentTurnId, parseSessionKey } from '../../workflows/lib/ids';
import type { AgentTurnInput } from '../../workflows/lib/turn';
import { errorResponses } from '../schemas/common';
import {
  AcceptedSchema,
  SendBodySchema,
  SendHeadersSchema,
  SendQuerySchema,
  TurnParamsSchema,
  TurnResultSchema,
  TurnStatusSchema,
  type SendBody,
} from '../schemas/agents';
import { isCallerError, type TurnService } from '../turns';
import type { Config } from '../../config';

export interface AgentRoutesOptions {
  config: Config;
  turns: TurnService;
}

export const agentRoutes: FastifyPluginAsyncZod<AgentRoutesOptions> = async (app, { config, turns }) => {
  app.post(
    '/api/agents/send',
    {
      schema: {
        tags: ['agents'],
        summary: 'Run one durable agent turn and return its reply',
        body: SendBodySchema,
        querystring: SendQuerySchema,
        headers: SendHeadersSchema,
        response: { 200: TurnResultSchema, 202: AcceptedSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const session = parseSessionKey(body.session_key);
      if (!session || session.userId !== body.user_id) {
        return reply.code(400).send({ error: 'user_id does not match session_key' });
      }
      if (!body.task_id && !body.task_title && !config.agent.defaultTask) {
        return reply.code(400).send({
          error: 'no task to reply on: pass task_id or task_title, or set CLASPER_DEFAULT_TASK on the runtime',
        });
      }
      const webhook = prepareWebhook(body, config);
      if ('error' in webhook) return reply.code(400).send({ error: webhook.error });

      const input: AgentTurnInput = {
        userId: body.user_id,
        sessionKey: body.session_key,
        role: session.role,
        message: body.message,
        history: body.messages,
        taskId: body.task_id,
        taskTitle: body.task_title,
        taskDescription: body.task_description,
        taskMetadata: body.task_metadata,
        metadata: body.metadata,
        webhook: webhook.value,
        trigger: 'api',
        maxToolIterations: config.agent.maxToolIterations,
      };
      const handle = await turns.start(input, request.headers['idempotency-key']);
      const turnId = handle.workflowId;
      request.log.info({ turn_id: turnId }, 'turn started');
      const accepted = {
        status: 'accepted' as const,
        turn_id: turnId,
        status_url: `/api/agents/turns/${encodeURIComponent(turnId)}`,
      };
      const async = request.query.wait === 'false' || /respond-async/i.test(request.headers.prefer ?? '');
      if (async) return reply.code(202).send(accepted);

      const outcome = await turns.await(handle, config.server.sendTimeoutSec * 1000);
      if (outcome.state === 'completed') return reply.code(200).send(outcome.result);
      if (outcome.state === 'pending') return reply.code(202).send(accepted);
      return reply.code(isCallerError(outcome) ? 400 : 502).send({ error: outcome.error, turn_id: turnId });
    },
  );

  app.get(
    '/api/agents/turns/:turn_id',
    {
      schema: {
        tags: ['agents'],
        summary: 'Status and result of a turn',
        params: TurnParamsSchema,
        response: { 200: TurnStatusSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const turnId = request.params.turn_id;
      if (!isAgentTurnId(turnId)) return reply.code(404).send({ error: `no turn '${turnId}'` });
      const found = await turns.describe(turnId);
      if (!found) return reply.code(404).send({ error: `no turn '${turnId}'` });
      const { status, outcome } = found;
      return reply.send({
        turn_id: turnId,
        status: status as 'running',
        ...(outcome.state === 'completed' ? { result: outcome.result } : {}),
        ...(outcome.state === 'failed' ? { error: outcome.error } : {}),
      });
    },
  );
};

function prepareWebhook(body: SendBody, config: Config): { value?: AgentTurnInput['webhook'] } | { error: string } {
  if (!body.webhook) return { value: undefined };
  const check = checkWebhookUrlSyntax(body.webhook.url, { allowPrivate: config.agent.webhookAllowPrivate });
  if (!check.ok) return { error: `webhook.url is not allowed: ${check.reason}` };
  const { secret, headers } = body.webhook;
  if (!secret && !headers) return { value: { url: body.webhook.url } };
  if (!config.backend.jwtSecret) {
    return { error: 'webhook secret and headers need AGENT_JWT_SECRET configured on the runtime to be sealed' };
  }
  return { value: { url: body.webhook.url, sealed: sealWebhookSecrets(config.backend.jwtSecret, { secret, headers }) } };
}
