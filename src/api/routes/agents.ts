/**
 * POST /api/agents/send (`stream: true`: SSE, see stream-turn.ts), GET /api/agents/turns/:turn_id
 * and GET /api/sessions/:session_key (README.md, "HTTP API" and "Sessions").
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { BudgetError } from '../../shared/budget';
import { isAgentTurnId } from '../../shared/ids';
import { ErrorSchema, errorResponses } from '../schemas/common';
import {
  AcceptedSchema,
  SendBodySchema,
  SendHeadersSchema,
  SendQuerySchema,
  SessionParamsSchema,
  SessionViewSchema,
  TurnParamsSchema,
  TurnResultSchema,
  TurnStatusSchema,
} from '../schemas/agents';
import { budgetRefusal, startSendTurn, statusUrlOf } from '../send-input';
import type { BudgetService } from '../budgets';
import type { SessionService } from '../sessions';
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
  sessions: SessionService;
  budgets: BudgetService;
  control: TurnControlService;
  /** Counts turns started and the outcomes this route sees (GET /metrics). */
  metrics?: TurnMetrics;
  /** The model-calling budgets (rate-limit.ts), shared with stream, compact and llm-task. */
  limiter: TurnRateLimiter;
}

export const agentRoutes: FastifyPluginAsyncZod<AgentRoutesOptions> = async (
  app,
  { config, turns, sessions, budgets, control, metrics, limiter },
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
        response: { 200: TurnResultSchema, 202: AcceptedSchema, ...errorResponses, 503: ErrorSchema },
      },
    },
    async (request, reply) => {
      const idempotencyKey = request.headers['idempotency-key'];
      const admit = () => limiter.admit(request, { forUser: true });
      const deps = { config, turns, sessions, budgets, metrics, admit };
      if (request.body.stream) {
        return startAndStream(request, reply, request.body, idempotencyKey, { ...deps, shutdown });
      }
      const deadline = Date.now() + config.server.sendTimeoutSec * 1000;
      const started = await startSendTurn(request.body, idempotencyKey, deps);
      if ('error' in started) return sendRefusal(reply, started);
      const { handle } = started;
      const turnId = handle.workflowId;
      const accepted = {
        status: 'accepted' as const,
        turn_id: turnId,
        status_url: statusUrlOf(turnId),
      };
      if (started.steered) {
        request.log.info({ turn_id: turnId }, 'message steered into the running turn');
        return reply
          .code(202)
          .send({ ...accepted, status: 'steered' as const, steered_step: started.steered.step });
      }
      request.log.info({ turn_id: turnId, queued: started.queued }, 'turn submitted');
      const async = request.query.wait === 'false' || /respond-async/i.test(request.headers.prefer ?? '');
      if (async) return reply.code(202).send(accepted);
      // Queued behind the session's running turn: the wait for it counts against the send timeout.
      if (started.queued && !(await turns.untilStarted(turnId, deadline - Date.now(), shutdown)))
        return reply.code(202).send(accepted);

      // A turn that starts waiting for a person answers 202 at once instead of holding the request.
      const outcome = await turns.awaitUnlessWaiting(handle, Math.max(0, deadline - Date.now()), () =>
        control.awaitingApproval(handle),
      );
      if (outcome.state === 'waiting') {
        request.log.info({ turn_id: turnId }, 'turn waits for approval');
        return reply.code(202).send({ ...accepted, status: 'waiting_approval' as const });
      }
      metrics?.finished(outcome);
      request.log.info({ turn_id: turnId, outcome: outcome.state }, 'turn answered');
      if (outcome.state === 'completed') return reply.code(200).send(outcome.result);
      if (outcome.state === 'pending') return reply.code(202).send(accepted);
      if (outcome.state === 'failed' && outcome.failureType === BudgetError.Exhausted)
        return sendRefusal(reply, budgetRefusal(outcome.error));
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
      if (!found) {
        const waiting = await sessions.findQueued(turnId);
        if (waiting) return reply.send({ turn_id: turnId, status: 'queued' as const, ...waiting });
        return reply.code(404).send({ error: `no turn '${turnId}'` });
      }
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

  app.get(
    '/api/sessions/:session_key',
    {
      schema: {
        tags: ['agents'],
        summary: "A session's running turn and the turns waiting behind it",
        params: SessionParamsSchema,
        response: { 200: SessionViewSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const sessionKey = request.params.session_key;
      const view = await sessions.view(sessionKey);
      if (!view) return reply.send({ session_key: sessionKey, running: null, queue: [], turns_started: 0 });
      return reply.send({ ...view, running: view.running ?? null });
    },
  );
};
