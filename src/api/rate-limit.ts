/**
 * Rate limits on everything that pays for a model call: send and stream (one budget: they start the
 * same turns), `/compact` and `/llm-task`. Two budgets, both per minute:
 *
 * - per user of a caller (CLASPER_RATE_LIMIT_PER_MINUTE): one user's loop cannot start turns, and
 *   spend tokens, without bound;
 * - per caller (CLASPER_RATE_LIMIT_PER_CALLER_PER_MINUTE): a caller cannot get around the first by
 *   varying `user_id`. The caller is the authenticated daemon key when one is set, else the client IP.
 *
 * Handlers call `admit` once the request has passed every check, so malformed or refused requests
 * are never counted. Over a limit: 429 `{error}` with `Retry-After` in seconds. 0 turns a budget off.
 *
 * Counts live in this API process's memory (@fastify/rate-limit's local store): with N replicas a
 * user gets up to N × the limit. Good enough to stop a runaway client; the plugin's `redis` store
 * makes it exact across replicas.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';

const ONE_MINUTE_MS = 60_000;

export interface RateLimits {
  perUserPerMinute: number;
  perCallerPerMinute: number;
  /** Requests are authenticated by the daemon key: the key is the caller, not the IP. */
  authenticated: boolean;
}

export type Admission = { ok: true } | { ok: false; error: string; retryAfterSec: number };

type Check = ReturnType<FastifyInstance['createRateLimit']>;

export class TurnRateLimiter {
  private constructor(
    private readonly perUser: Check | undefined,
    private readonly perCaller: Check | undefined,
    private readonly limits: RateLimits,
  ) {}

  static async register(app: FastifyInstance, limits: RateLimits): Promise<TurnRateLimiter> {
    await app.register(rateLimit, { global: false });
    const callerOf = (req: FastifyRequest) => (limits.authenticated ? 'daemon-key' : `ip:${req.ip}`);
    const userOf = (req: FastifyRequest) => {
      const userId = (req.body as { user_id?: unknown } | undefined)?.user_id;
      return typeof userId === 'string' ? userId : '';
    };
    const check = (max: number, key: (req: FastifyRequest) => string) =>
      max > 0 ? app.createRateLimit({ max, timeWindow: ONE_MINUTE_MS, keyGenerator: key }) : undefined;
    return new TurnRateLimiter(
      check(limits.perUserPerMinute, (req) => `${callerOf(req)}|user:${userOf(req)}`),
      check(limits.perCallerPerMinute, callerOf),
      limits,
    );
  }

  /** Counts this request against its budgets; `forUser`: the request names a user (send, stream). */
  async admit(request: FastifyRequest, opts: { forUser: boolean }): Promise<Admission> {
    if (opts.forUser && this.perUser) {
      const user = await this.perUser(request);
      if (!user.isAllowed && user.isExceeded)
        return refused(
          `at most ${this.limits.perUserPerMinute} turns per minute for this user`,
          user.ttlInSeconds,
        );
    }
    if (this.perCaller) {
      const caller = await this.perCaller(request);
      if (!caller.isAllowed && caller.isExceeded)
        return refused(
          `at most ${this.limits.perCallerPerMinute} model-calling requests per minute for this caller`,
          caller.ttlInSeconds,
        );
    }
    return { ok: true };
  }
}

function refused(what: string, retryAfterSec: number): Admission {
  const seconds = Math.max(1, retryAfterSec);
  return { ok: false, error: `rate limit exceeded: ${what}; retry in ${seconds} s`, retryAfterSec: seconds };
}
