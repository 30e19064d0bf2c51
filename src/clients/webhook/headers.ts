/**
 * Request headers of a webhook delivery: ours, plus the caller's own (e.g. an Authorization for
 * their receiver). A caller header may not replace the ones receivers rely on to trust and parse
 * the request, nor the ones that frame the HTTP message.
 */
import { SIGNATURE_HEADER, SIGNATURE_PREFIX, TIMESTAMP_HEADER, signWebhook } from './sign';

export const WEBHOOK_USER_AGENT = 'Clasper-Webhook/1.0';

const RESERVED = new Set([
  'content-type',
  'user-agent',
  // Framing and hop-by-hop headers belong to the HTTP client; letting a caller set them could break
  // or smuggle the request.
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
]);

/** True for header names a caller may not set. The API can use it to reject such headers with a 400. */
export function isReservedWebhookHeader(name: string): boolean {
  const n = name.trim().toLowerCase();
  return RESERVED.has(n) || n.startsWith('x-clasper-');
}

/** RFC 9110 token characters for a field name; values may not contain CR, LF or NUL. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAD_VALUE = /[\r\n\0]/;

/** Thrown for an unusable caller header. Deliberately carries neither the header's name nor its value. */
export class InvalidWebhookHeaderError extends Error {
  constructor(index: number) {
    super(
      `webhook header #${index + 1} has an invalid name or value (names are HTTP tokens; values may not contain line breaks)`,
    );
    this.name = 'InvalidWebhookHeaderError';
  }
}

export interface BuildHeadersInput {
  body: string;
  callerHeaders?: Record<string, string>;
  secret?: string;
  timestampSec: number;
}

/** The final header set: caller headers first, then ours, so ours always win. */
export function buildWebhookHeaders(input: BuildHeadersInput): Headers {
  const headers = new Headers();
  Object.entries(input.callerHeaders ?? {}).forEach(([name, value], index) => {
    if (!HEADER_NAME.test(name) || typeof value !== 'string' || BAD_VALUE.test(value)) {
      throw new InvalidWebhookHeaderError(index);
    }
    if (isReservedWebhookHeader(name)) return;
    try {
      headers.set(name, value);
    } catch {
      // The Headers error message quotes the value; replace it with one that does not.
      throw new InvalidWebhookHeaderError(index);
    }
  });
  headers.set('Content-Type', 'application/json');
  headers.set('User-Agent', WEBHOOK_USER_AGENT);
  if (input.secret) {
    headers.set(TIMESTAMP_HEADER, String(input.timestampSec));
    headers.set(
      SIGNATURE_HEADER,
      SIGNATURE_PREFIX + signWebhook(input.secret, input.timestampSec, input.body),
    );
  }
  return headers;
}
