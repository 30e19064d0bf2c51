/**
 * Sealing of the caller's webhook URL, secret and headers.
 *
 * Workflow inputs are stored in Temporal history in clear, and history is visible to anyone with UI
 * access. So the API seals `{url, secret, headers}` before it starts a workflow — the input keeps
 * only the URL's origin, for the UI — and only the worker's `sendWebhook` activity unseals them,
 * right before sending. Inputs from before the URL was sealed carry it in clear and still work.
 *
 * Scheme: AES-256-GCM, key = HKDF-SHA256(ikm = AGENT_JWT_SECRET, salt = empty,
 * info = "clasper/webhook-seal/v1", 32 bytes), 96-bit random IV, version tag "v1" bound as AAD.
 * Format: `v1.<iv b64url>.<ciphertext b64url>.<tag b64url>`. API and worker must share AGENT_JWT_SECRET.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';

export interface WebhookSecrets {
  /** The full URL: its path and query often carry a token, so history keeps only the origin. */
  url?: string;
  secret?: string;
  headers?: Record<string, string>;
}

const VERSION = 'v1';
const HKDF_INFO = 'clasper/webhook-seal/v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Failure type for a blob that cannot be opened; retrying cannot fix a wrong key or a tampered input. */
export const UNSEAL_FAILURE_TYPE = 'Webhook.Unseal';

function deriveKey(jwtSecret: string): Buffer {
  if (!jwtSecret)
    throw new Error(
      'Cannot seal webhook secrets: AGENT_JWT_SECRET is empty; set it on the API and the worker',
    );
  return Buffer.from(hkdfSync('sha256', Buffer.from(jwtSecret, 'utf8'), Buffer.alloc(0), HKDF_INFO, 32));
}

/** Encrypts the secret and headers into a compact string that is safe to put into workflow inputs. */
export function sealWebhookSecrets(jwtSecret: string, secrets: WebhookSecrets): string {
  const key = deriveKey(jwtSecret);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(VERSION, 'utf8'));
  // Only the known fields are sealed, so stray properties never ride along into the blob.
  const plain = JSON.stringify({ url: secrets.url, secret: secrets.secret, headers: secrets.headers });
  const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [
    VERSION,
    iv.toString('base64url'),
    ciphertext.toString('base64url'),
    tag.toString('base64url'),
  ].join('.');
}

function unsealFailure(what: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: UNSEAL_FAILURE_TYPE,
    nonRetryable: true,
    message:
      `Cannot unseal the webhook secrets: ${what}. ` +
      'The API and the worker must use the same AGENT_JWT_SECRET; resend the request after fixing it.',
  });
}

/**
 * Opens a blob made by `sealWebhookSecrets`. A malformed, tampered or wrong-key blob throws a
 * non-retryable `Webhook.Unseal` failure (its message never contains key material or plaintext).
 */
export function unsealWebhookSecrets(jwtSecret: string, sealed: string): WebhookSecrets {
  if (!jwtSecret) throw unsealFailure('AGENT_JWT_SECRET is not set on the worker');
  const parts = sealed.split('.');
  if (parts.length !== 4 || parts[0] !== VERSION) throw unsealFailure(`not a ${VERSION} sealed value`);
  const [, ivText, ctText, tagText] = parts as [string, string, string, string];
  const iv = Buffer.from(ivText, 'base64url');
  const tag = Buffer.from(tagText, 'base64url');
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw unsealFailure('malformed sealed value');

  let plain: string;
  try {
    const decipher = createDecipheriv('aes-256-gcm', deriveKey(jwtSecret), iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(VERSION, 'utf8'));
    decipher.setAuthTag(tag);
    plain = Buffer.concat([decipher.update(Buffer.from(ctText, 'base64url')), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    // GCM authentication failed: the blob was altered or sealed with another key.
    throw unsealFailure('it was altered or sealed with a different key');
  }

  const value: unknown = JSON.parse(plain);
  if (typeof value !== 'object' || value === null) throw unsealFailure('unexpected content');
  const { url, secret, headers } = value as { url?: unknown; secret?: unknown; headers?: unknown };
  const out: WebhookSecrets = {};
  if (typeof url === 'string') out.url = url;
  if (typeof secret === 'string') out.secret = secret;
  if (headers && typeof headers === 'object') {
    out.headers = Object.fromEntries(
      Object.entries(headers as Record<string, unknown>).filter(
        (e): e is [string, string] => typeof e[1] === 'string',
      ),
    );
  }
  return out;
}
