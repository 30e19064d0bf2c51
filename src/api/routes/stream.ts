/**
 * POST /api/agents/stream (README.md, "Streaming"): send's body and Idempotency-Key, the same
 * durable turn, answered as Server-Sent Events (stream-turn.ts). Bad input is a JSON 4xx before the
 * stream opens.
 */
import type { RateLimitOptions } from '@fastify/rate-limit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Config } from '../../config';
import type { TurnMetrics } from '../metrics';
import { SendBodySchema, SendHeadersSchema, type SendBody } from '../schemas/agents';
import { errorResponses } from '../schemas/common';
import { startSendTurn } from '../send-input';
import { abortOnClose, streamTurn } from '../stream-turn';
import type { TurnService } from '../turns';

export interface StreamRoutesOptions {
  config: Config;
  turns: TurnService;
  metrics?: TurnMetrics;
  /** The same per-user limit as send: a stream starts a turn just the same. */
  rateLimit?: RateLimitOptions | false;
}

export const STREAM_EVENTS_DESCRIPTION =
  'Server-Sent Events, each `event: <type>` with `data: <json>` repeating `type`: `start` {turn_id}; ' +
  '`tool` {name, ok, error?, step} per finished tool call; `chunk` {data}: the answer in pieces of about a ' +
  'sentence (at most 80 characters), sent once the model has given it; `done`: the same fields as ' +
  "send's 200 body; `error` {error, turn_id}. The turn posts its reply even if the client disconnects.";

export const streamRoutes: FastifyPluginAsyncZod<StreamRoutesOptions> = async (
  app,
  { config, turns, metrics, rateLimit },
) => {
  const shutdown = abortOnClose(app);
  app.post(
    '/api/agents/stream',
    {
      config: { rateLimit: rateLimit ?? false },
      schema: {
        tags: ['agents'],
        summary: 'Run one durable agent turn and stream its progress and reply (SSE)',
        description: STREAM_EVENTS_DESCRIPTION,
        body: SendBodySchema,
        headers: SendHeadersSchema,
        response: { ...errorResponses },
      },
    },
    async (request, reply) =>
      startAndStream(request, reply, request.body, request.headers['idempotency-key'], {
        config,
        turns,
        metrics,
        shutdown,
      }),
  );
};

/** POST stream, and POST send with `stream: true`: the body's turn started, then streamed as SSE. */
export async function startAndStream(
  request: FastifyRequest,
  reply: FastifyReply,
  body: SendBody,
  idempotencyKey: string | undefined,
  deps: { config: Config; turns: TurnService; metrics?: TurnMetrics; shutdown: AbortSignal },
): Promise<FastifyReply> {
  const started = await startSendTurn(body, idempotencyKey, deps);
  if ('error' in started) return reply.code(400).send({ error: started.error });
  const { handle } = started;
  request.log.info({ turn_id: handle.workflowId }, 'turn started (stream)');
  await streamTurn(request, reply, {
    turns: deps.turns,
    handle,
    timeoutMs: deps.config.server.sendTimeoutSec * 1000,
    metrics: deps.metrics,
    shutdown: deps.shutdown,
  });
  return reply;
}
