/**
 * Per-user rate limit on POST /api/agents/send (CLASPER_RATE_LIMIT_PER_MINUTE; 0 = off): one
 * caller's loop cannot start turns, and spend tokens, without bound. Keyed by the body's `user_id`
 * (the client IP when there is none), checked after validation so malformed requests cost nothing.
 * Over the limit: 429 `{error}` with `Retry-After` in seconds.
 *
 * Counts live in this API process's memory: with N replicas a user gets up to N × the limit. Good
 * enough to stop a runaway client; a shared store (@fastify/rate-limit's `redis`) makes it exact.
 */
import rateLimit, { type RateLimitOptions } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';

const ONE_MINUTE_MS = 60_000;

/** Registers the plugin without limiting anything; routes opt in with `config.rateLimit`. */
export async function registerRateLimit(app: FastifyInstance): Promise<void> {
  await app.register(rateLimit, { global: false });
}

/** The send route's `config.rateLimit`: false when the limit is off. */
export function sendRateLimit(perMinute: number): RateLimitOptions | false {
  if (perMinute <= 0) return false;
  return {
    max: perMinute,
    timeWindow: ONE_MINUTE_MS,
    hook: 'preHandler',
    keyGenerator: rateLimitKey,
    errorResponseBuilder: (_request, context) =>
      // Thrown by the plugin; the error handler answers 4xx errors as `{error}` with this status.
      Object.assign(
        new Error(
          `rate limit exceeded: at most ${context.max} turns per minute for this user; retry in ${context.after}`,
        ),
        { statusCode: context.statusCode },
      ),
  };
}

export function rateLimitKey(request: FastifyRequest): string {
  const body = request.body as { user_id?: unknown } | undefined;
  return typeof body?.user_id === 'string' ? `user:${body.user_id}` : `ip:${request.ip}`;
}
