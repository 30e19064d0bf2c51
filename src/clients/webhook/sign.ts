/**
 * Webhook signatures. Receivers may import this module to verify our requests.
 *
 * Scheme (when the caller gave `webhook.secret`):
 *   X-Clasper-Timestamp: <unix seconds at send time>
 *   X-Clasper-Signature: sha256=<hex HMAC-SHA256(key = secret, message = "<timestamp>.<raw body>")>
 *
 * A receiver recomputes the HMAC over the exact raw body bytes it received (before any JSON
 * parsing), compares in constant time, and rejects timestamps more than a few minutes away from
 * its clock. Binding the timestamp into the MAC stops an attacker from replaying an old captured
 * request later with a fresh timestamp. A retried delivery carries a new timestamp and signature,
 * so receivers that must process an event once should dedupe on the payload's `turn_id` + `event`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Clasper-Signature';
export const TIMESTAMP_HEADER = 'X-Clasper-Timestamp';
export const SIGNATURE_PREFIX = 'sha256=';

/** Hex HMAC-SHA256 over `<timestampSec>.<body>`. */
export function signWebhook(secret: string, timestampSec: number, body: string | Uint8Array): string {
  return createHmac('sha256', secret).update(`${timestampSec}.`, 'utf8').update(body).digest('hex');
}

export interface VerifyWebhookSignatureInput {
  secret: string;
  /** The X-Clasper-Signature header value, `sha256=<hex>` (a bare hex digest is accepted too). */
  signature: string | undefined;
  /** The X-Clasper-Timestamp header value, unix seconds. */
  timestamp: string | number | undefined;
  /** The raw request body exactly as received. */
  body: string | Uint8Array;
  /** Maximum allowed distance between the timestamp and `now`, in seconds. */
  toleranceSec?: number;
  /** The receiver's clock; defaults to the current time. */
  now?: Date;
}

/** True when the signature matches the body and timestamp and the timestamp is fresh. */
export function verifyWebhookSignature(input: VerifyWebhookSignatureInput): boolean {
  const { secret, signature, timestamp, body, toleranceSec = 300, now = new Date() } = input;
  if (!secret || signature === undefined || timestamp === undefined) return false;

  const tsText = String(timestamp).trim();
  if (!/^\d{1,12}$/.test(tsText)) return false;
  const ts = Number(tsText);
  if (Math.abs(Math.floor(now.getTime() / 1000) - ts) > toleranceSec) return false;

  const given = signature.trim().toLowerCase();
  const hex = given.startsWith(SIGNATURE_PREFIX) ? given.slice(SIGNATURE_PREFIX.length) : given;
  if (!/^[0-9a-f]{64}$/.test(hex)) return false;
  const expected = Buffer.from(signWebhook(secret, ts, body), 'hex');
  return timingSafeEqual(expected, Buffer.from(hex, 'hex'));
}
