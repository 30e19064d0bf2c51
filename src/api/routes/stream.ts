/**
 * POST /api/agents/stream (README.md, "Streaming"): send's body and Idempotency-Key, the same
 * durable turn, answered as Server-Sent Events (stream-turn.ts). Bad input is a JSON 4xx before the
 * stream opens.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Config } from '../../config';
import type { TurnMetrics } from '../metrics';
import { WorkflowNotFoundError } from '@temporalio/client';
import { isAgentTurnId } from '../../shared/ids';
import {
  SendBodySchema,
  SendHeadersSchema,
  StreamHeadersSchema,
  StreamQuerySchema,
  TurnParamsSchema,
  type SendBody,
} from '../schemas/agents';
import { ErrorSchema, errorResponses } from '../schemas/common';
import { startSendTurn, statusUrlOf, type SendTurnDeps } from '../send-input';
import type { BudgetService } from '../budgets';
import type { SessionService } from '../sessions';
import type { TurnRateLimiter } from '../rate-limit';
import { abortOnClose, streamTurn } from '../stream-turn';
import { sendRefusal } from './refusal';
import type { TurnService } from '../turns';

export interface StreamRoutesOptions {
  config: Config;
  turns: TurnService;
  sessions: SessionService;
  budgets: BudgetService;
  metrics?: TurnMetrics;
  /** The same budgets as send: a stream starts a turn just the same. */
  limiter: TurnRateLimiter;
}

export const STREAM_EVENTS_DESCRIPTION =
  'Server-Sent Events, each `id: <offset>`, `event: <type>` and `data: <json>` repeating `type`: `start` {turn_id}; ' +
  '`chunk` {data, step}: text as the model writes it; `reset` {step}: drop the text shown for that step ' +
  '(a retried model call writes it again); `tool` {status: started|finished, name, call_id, step, ok?, error?}; ' +
  "`approval_required` / `approval_decided`; `done`: the same fields as send's 200 body; `error` {error, turn_id}. " +
  'The chunks of the last step, after resets, equal `response`. Resume with GET /api/agents/turns/{turn_id}/stream ' +
  'and `Last-Event-ID`. The turn posts its reply even if the client disconnects.';

export const streamRoutes: FastifyPluginAsyncZod<StreamRoutesOptions> = async (
  app,
  { config, turns, sessions, budgets, metrics, limiter },
) => {
  const shutdown = abortOnClose(app);
  app.post(
    '/api/agents/stream',
    {
      schema: {
        tags: ['agents'],
        summary: 'Run one durable agent turn and stream its progress and reply (SSE)',
        description: STREAM_EVENTS_DESCRIPTION,
        body: SendBodySchema,
        headers: SendHeadersSchema,
        response: { ...errorResponses, 503: ErrorSchema },
      },
    },
    async (request, reply) =>
      startAndStream(request, reply, request.body, request.headers['idempotency-key'], {
        config,
        turns,
        sessions,
        budgets,
        metrics,
        shutdown,
        admit: () => limiter.admit(request, { forUser: true }),
      }),
  );

  app.get(
    '/api/agents/turns/:turn_id/stream',
    {
      schema: {
        tags: ['agents'],
        summary: "Join or resume a turn's stream (SSE), running or ended",
        description:
          'The events after `Last-Event-ID` (or `?after=`; both absent: from the start, with `start`), then live ones until `done` or `error`. ' +
          STREAM_EVENTS_DESCRIPTION,
        params: TurnParamsSchema,
        querystring: StreamQuerySchema,
        headers: StreamHeadersSchema,
        response: { ...errorResponses },
      },
    },
    async (request, reply) => {
      const turnId = request.params.turn_id;
      const notFound = { error: `no turn '${turnId}'`, turn_id: turnId };
      if (!isAgentTurnId(turnId)) return reply.code(404).send(notFound);
      const handle = turns.handle(turnId);
      try {
        await handle.describe();
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return reply.code(404).send(notFound);
        throw err;
      }
      const offset = request.query.after ?? request.headers['last-event-id'];
      await streamTurn(request, reply, {
        turns,
        handle,
        timeoutMs: config.server.sendTimeoutSec * 1000,
        shutdown,
        after: offset === undefined ? 0 : Number(offset),
      });
      return reply;
    },
  );
};

/** POST stream, and POST send with `stream: true`: the body's turn started, then streamed as SSE. */
export async function startAndStream(
  request: FastifyRequest,
  reply: FastifyReply,
  body: SendBody,
  idempotencyKey: string | undefined,
  deps: SendTurnDeps & { shutdown: AbortSignal },
): Promise<FastifyReply> {
  const deadline = Date.now() + deps.config.server.sendTimeoutSec * 1000;
  const started = await startSendTurn(body, idempotencyKey, deps, { stream: true });
  if ('error' in started) return sendRefusal(reply, started);
  const { handle } = started;
  request.log.info({ turn_id: handle.workflowId, steered: !!started.steered }, 'turn submitted (stream)');
  // A queued turn streams once it starts; a steered message streams the turn that took it.
  if (
    started.queued &&
    !(await deps.turns.untilStarted(handle.workflowId, deadline - Date.now(), deps.shutdown))
  )
    return reply.code(202).send({
      status: 'accepted',
      turn_id: handle.workflowId,
      status_url: statusUrlOf(handle.workflowId),
    });
  await streamTurn(request, reply, {
    turns: deps.turns,
    handle,
    timeoutMs: deps.config.server.sendTimeoutSec * 1000,
    metrics: deps.metrics,
    shutdown: deps.shutdown,
  });
  return reply;
}
