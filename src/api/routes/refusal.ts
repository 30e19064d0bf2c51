/** A request refused before anything ran: 400 with its reason, or 429 with `Retry-After`. */
import type { FastifyReply } from 'fastify';

export function sendRefusal(reply: FastifyReply, refusal: { error: string; retryAfterSec?: number }) {
  if (refusal.retryAfterSec !== undefined)
    return reply
      .code(429)
      .header('retry-after', String(refusal.retryAfterSec))
      .send({ error: refusal.error });
  return reply.code(400).send({ error: refusal.error });
}
