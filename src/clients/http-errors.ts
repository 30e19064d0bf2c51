/**
 * What every outbound HTTP adapter (Mission Control, the model, webhooks) needs to turn a response
 * into a readable, secret-free failure: the server's requested retry delay and short error text.
 */

/** Server-requested delays beyond this are left to the activity's retry policy. */
export const MAX_RETRY_AFTER_MS = 10 * 60 * 1000;

/**
 * The retry delay a server asked for, in milliseconds, capped. `retry-after-ms` (OpenAI's, more
 * precise) wins over `retry-after`, which is delay-seconds (possibly fractional) or an HTTP-date
 * (RFC 9110 §10.2.3); a date in the past means "now". Garbage gives undefined.
 */
export function retryAfterMs(
  headers: { get(name: string): string | null } | undefined,
  now: Date = new Date(),
): number | undefined {
  if (!headers) return undefined;
  const precise = headers.get('retry-after-ms')?.trim();
  if (precise && /^\d+(\.\d+)?$/.test(precise))
    return Math.min(Math.ceil(Number(precise)), MAX_RETRY_AFTER_MS);
  return parseRetryAfter(headers.get('retry-after'), now);
}

/** One `Retry-After` value: delay-seconds or an HTTP-date. */
export function parseRetryAfter(
  value: string | null | undefined,
  now: Date = new Date(),
): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.min(Math.ceil(Number(text) * 1000), MAX_RETRY_AFTER_MS);
  // All three HTTP-date forms start with a weekday; Date.parse alone would accept "-1" or "1.5".
  if (!/^(mon|tue|wed|thu|fri|sat|sun)/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, at - now.getTime()), MAX_RETRY_AFTER_MS);
}

/** One line, at most `max` characters, for error messages. */
export function shorten(text: string, max: number): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine;
}

/** Removes each secret wherever it appears (a server may echo a token or key back in its error). */
export function scrub(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join('[redacted]');
  return out;
}
