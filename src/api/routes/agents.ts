/**
 * POST /api/agents/send (`stream: true`: SSE, see stream-turn.ts) and GET /api/agents/turns/:turn_id
 * (README.md, "HTTP API").
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { isAgentTurnId } from '../../shared/ids';
import { errorResponses } from '../schemas/common';
import {
  AcceptedSchema,
  SendBodySchema,
  SendHeadersSchema,
  SendQuerySchema,
  TurnParamsSchema,
  TurnResultSchema,
  TurnStatusSchema,
} from '../schemas/agents';
import { startSendTurn, statusUrlOf } from '../send-input';
import { abortOnClose } from '../stream-turn';
import { startAndStream } from './stream';
import type { TurnControlService } from '../turn-control';
import { callerErrorStatus, type TurnService } from '../turns';
import type { Config } from '../../config';
import type { TurnMetrics } from '../metrics';
import { sendRefusal } from './refusal';
import type { TurnRateLimiter } from '../rate-limit';

export interface AgentRoutesOptions {
  config: Config;
  turns: TurnService;
  control: TurnControlService;
  /** Counts turns started and the outcomes this route sees (GET /metrics). */
  metrics?: TurnMetrics;
  /** The model-calling budgets (rate-limit.ts), shared with stream, compact and llm-task. */
  limiter: TurnRateLimiter;
}

export const agentRoutes: FastifyPluginAsyncZod<AgentRoutesOptions> = async (
  app,
  { config, turns, control, metrics, limiter },
) => {
  const shutdown = abortOnClose(app);
  app.post(
    '/api/agents/send',
    {
      schema: {
        tags: ['agents'],
        summary: 'Run one durable agent turn and return its reply',
        description: 'With `stream: true` the answer is Server-Sent Events, as from /api/agents/stream.',
        body: SendBodySchema,
        querystring: SendQuerySchema,
        headers: SendHeadersSchema,
        response: { 200: TurnResultSchema, 202: AcceptedSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const idempotencyKey = request.headers['idempotency-key'];
      const admit = () => limiter.admit(request, { forUser: true });
      if (request.body.stream) {
        return startAndStream(request, reply, request.body, idempotencyKey, {
          config,
          turns,
          metrics,
          shutdown,
          admit,
        });
      }
      const started = await startSendTurn(request.body, idempotencyKey, { config, turns, metrics, admit });
      if ('error' in started) return sendRefusal(reply, started);
      const { handle } = started;
      const turnId = handle.workflowId;
      request.log.info({ turn_id: turnId }, 'turn started');
      const accepted = {
        status: 'accepted' as const,
        turn_id: turnId,
        status_url: statusUrlOf(turnId),
      };
      const async = request.query.wait === 'false' || /respond-async/i.test(request.headers.prefer ?? '');
      if (async) return reply.code(202).send(accepted);

      // A turn that starts waiting for a person answers 202 at once instead of holding the request.
      const outcome = await turns.awaitUnlessWaiting(handle, config.server.sendTimeoutSec * 1000, () =>
        control.pendingApprovals(handle).then((p) => p.length > 0),
      );
      if (outcome.state === 'waiting') {
        request.log.info({ turn_id: turnId }, 'turn waits for approval');
        return reply.code(202).send({ ...accepted, status: 'waiting_approval' as const });
      }
      metrics?.finished(outcome);
      request.log.info({ turn_id: turnId, outcome: outcome.state }, 'turn answered');
      if (outcome.state === 'completed') return reply.code(200).send(outcome.result);
      if (outcome.state === 'pending') return reply.code(202).send(accepted);
      return reply.code(callerErrorStatus(outcome) ?? 502).send({ error: outcome.error, turn_id: turnId });
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
      const { status, outcome, cancelReason } = found;
      const pending = status === 'running' ? await control.pendingApprovals(turns.handle(turnId)) : [];
      return reply.send({
        turn_id: turnId,
        status: (pending.length > 0 ? 'waiting_approval' : status) as 'running',
        ...(pending.length > 0 ? { pending_approvals: pending } : {}),
        ...(cancelReason ? { cancel_reason: cancelReason } : {}),
        ...(outcome.state === 'completed' ? { result: outcome.result } : {}),
        ...(outcome.state === 'failed' ? { error: outcome.error } : {}),
      });
    },
  );
};
