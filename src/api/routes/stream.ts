/**
 * POST /api/agents/stream (README.md, "Streaming"): send's body and Idempotency-Key, the same
 * durable turn, answered as Server-Sent Events (stream-turn.ts). Bad input is a JSON 4xx before the
 * stream opens.
 */
import type { RateLimitOptions } from '@fastify/rate-limit';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Config } from '../../config';
import type { TurnMetrics } from '../metrics';
import { SendBodySchema, SendHeadersSchema } from '../schemas/agents';
import { errorResponses } from '../schemas/common';
import { turnInputFromSend } from '../send-input';
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
    async (request, reply) => {
      const built = turnInputFromSend(request.body, config);
      if ('error' in built) return reply.code(400).send({ error: built.error });
      const handle = await turns.start(built.input, request.headers['idempotency-key']);
      request.log.info({ turn_id: handle.workflowId }, 'turn started (stream)');
      metrics?.started();
      await streamTurn(request, reply, {
        turns,
        handle,
        timeoutMs: config.server.sendTimeoutSec * 1000,
        metrics,
        shutdown,
      });
      return reply;
    },
  );
};
