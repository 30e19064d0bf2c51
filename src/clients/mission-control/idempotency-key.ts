/** Idempotency keys as the backend receives them. */
import { createHash } from 'node:crypto';

/**
 * Keys are `<workflowId>/<activityId>` and a workflow id embeds a user id and a caller's key, so
 * they can outgrow what backends accept (mission-control-lite: 200, Stripe-style APIs: 255).
 */
export const MAX_IDEMPOTENCY_KEY_CHARS = 200;

/**
 * A key that is too long keeps a readable prefix and ends in a hash of the whole key: still
 * deterministic (a retry sends the same key) and still unique per step.
 */
export function fitIdempotencyKey(key: string): string {
  if (key.length <= MAX_IDEMPOTENCY_KEY_CHARS) return key;
  const hash = createHash('sha256').update(key).digest('hex');
  return `${key.slice(0, MAX_IDEMPOTENCY_KEY_CHARS - hash.length - 1)}#${hash}`;
}
