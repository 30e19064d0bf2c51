/** A request refused before anything ran: 400 with its reason, 409 with the running turn, or 429 with `Retry-After`. */
import type { FastifyReply } from 'fastify';
import type { SendRefusal } from '../send-input';

export function sendRefusal(reply: FastifyReply, refusal: SendRefusal) {
  if (refusal.retryAfterSec !== undefined)
    return reply
      .code(429)
      .header('retry-after', String(refusal.retryAfterSec))
      .send({ error: refusal.error });
  if (refusal.status === 409)
    return reply.code(409).send({
      error: refusal.error,
      ...(refusal.running_turn_id ? { running_turn_id: refusal.running_turn_id } : {}),
    });
  return reply.code(refusal.status ?? 400).send({ error: refusal.error });
}
