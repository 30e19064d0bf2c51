/**
 * Webhook delivery: POSTs the turn's completion event (`agent.completed` / `agent.failed`) to the
 * caller's URL. The `sendWebhook` activity (src/activities/webhook.ts) is a thin wrapper over it.
 *
 * Failure classes, as Temporal failure types the workflow's retry policy sees:
 * - `Webhook.Refused`   (non-retryable) the URL fails the destination policy (see url-policy.ts)
 * - `Webhook.Unseal`    (non-retryable) the sealed secrets cannot be opened (see sealed.ts)
 * - `Webhook.Invalid`   (non-retryable) a caller header cannot be sent
 * - `Webhook.Rejected`  (non-retryable) the receiver answered 3xx or a 4xx other than 408/429
 * - `Webhook.Retryable` (retryable)     network error, timeout, 408, 429, 5xx; honours Retry-After
 *
 * Secrets: the caller's secret and headers arrive sealed and are opened only here. No error
 * message, detail or log line carries them, nor the URL's path and query (webhook URLs often embed
 * a token there); errors name the origin only.
 */
import { ApplicationFailure } from '@temporalio/common';
import { retryAfterMs } from '../http-errors';
import { buildWebhookHeaders, InvalidWebhookHeaderError } from './headers';
import { unsealWebhookSecrets, type WebhookSecrets } from './sealed';
import { postPinned, type PostInput, type PostResult } from './pinned-post';
import { checkWebhookUrl, type InterfaceAddresses, type LookupAll } from './url-policy';

export interface SendWebhookInput {
  /** The URL, or only its origin when the whole URL travels in `sealed`. */
  url: string;
  /** `sealWebhookSecrets` output, when the caller gave a secret or headers. */
  sealed?: string;
  /** The event, e.g. `{event: "agent.completed", turn_id, ...}`; sent as the JSON body. */
  payload: Record<string, unknown>;
}

export interface WebhookClientDeps {
  /** AGENT_JWT_SECRET: the key the API sealed with. Needed only when an input carries `sealed`. */
  jwtSecret?: string;
  /** CLASPER_WEBHOOK_ALLOW_PRIVATE. */
  allowPrivate: boolean;
  /** For tests: the POST itself; `postPinned` by default. */
  post?: (input: PostInput) => Promise<PostResult>;
  /** For tests: DNS resolution used by the URL policy. The connection never resolves again. */
  lookupAll?: LookupAll;
  /** For tests: this host's interface addresses, refused like loopback. */
  interfaceAddresses?: InterfaceAddresses;
  /** Per-request timeout; 10 s by default so a slow receiver cannot hold a worker slot. */
  timeoutMs?: number;
  /** For tests: the clock used for X-Clasper-Timestamp. */
  now?: () => Date;
}

export interface WebhookClient {
  sendWebhook(input: SendWebhookInput): Promise<{ status: number }>;
}

const DEFAULT_TIMEOUT_MS = 10_000;
/** A receiver asking for a longer pause than this gets it capped, so a bogus header cannot park the turn. */

function failure(
  type: string,
  message: string,
  nonRetryable: boolean,
  nextRetryDelayMs?: number,
): ApplicationFailure {
  return ApplicationFailure.create({
    type,
    message,
    nonRetryable,
    ...(nextRetryDelayMs !== undefined ? { nextRetryDelay: nextRetryDelayMs } : {}),
  });
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'the webhook URL';
  }
}

/** Duck-typed, not `instanceof Error`: errors can come from another realm (e.g. under jest). */
function networkErrorCode(err: unknown): string {
  const e = (err ?? {}) as { name?: unknown; code?: unknown; cause?: { code?: unknown } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'timed out';
  if (typeof e.code === 'string') return e.code;
  if (typeof e.cause?.code === 'string') return e.cause.code;
  return typeof e.name === 'string' ? e.name : 'network error';
}

export function createWebhookClient(deps: WebhookClientDeps): WebhookClient {
  const post = deps.post ?? postPinned;
  const timeoutMs = deps.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const now = deps.now ?? (() => new Date());

  async function sendWebhook(input: SendWebhookInput): Promise<{ status: number }> {
    const secrets: WebhookSecrets = input.sealed
      ? unsealWebhookSecrets(deps.jwtSecret ?? '', input.sealed)
      : {};
    // Sealed inputs carry the whole URL inside the blob; older ones carry it in clear.
    const url = secrets.url ?? input.url;
    const origin = originOf(url);

    // Checked again here, not only at the API: DNS may have changed since the request was accepted.
    // The name is resolved once, here; the POST connects to the addresses this check accepted
    // (`policy.addresses`, see pinned-post.ts), so a rebinding DNS server that answers differently
    // the second time is never asked a second time. Redirects, the other bypass, are not followed.
    const policy = await checkWebhookUrl(url, {
      allowPrivate: deps.allowPrivate,
      lookupAll: deps.lookupAll,
      interfaceAddresses: deps.interfaceAddresses,
    });
    if (!policy.ok) {
      if (policy.transient)
        throw failure('Webhook.Retryable', `Webhook to ${origin} not sent: ${policy.reason}`, false);
      throw failure('Webhook.Refused', `Webhook to ${origin} refused: ${policy.reason}`, true);
    }

    const body = JSON.stringify(input.payload);
    let headers: Headers;
    try {
      headers = buildWebhookHeaders({
        body,
        callerHeaders: secrets.headers,
        secret: secrets.secret,
        timestampSec: Math.floor(now().getTime() / 1000),
      });
    } catch (err) {
      if (err instanceof InvalidWebhookHeaderError)
        throw failure('Webhook.Invalid', `Webhook to ${origin} not sent: ${err.message}`, true);
      throw err;
    }

    let res: PostResult;
    try {
      res = await post({
        url,
        headers,
        body,
        pinned: policy.addresses,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw failure(
        'Webhook.Retryable',
        `Webhook POST to ${origin} failed (${networkErrorCode(err)}); will retry`,
        false,
      );
    }
    const status = res.status;
    if (status >= 200 && status < 300) return { status };
    if (status === 408 || status === 429 || status >= 500) {
      const delay = retryAfterMs(res.headers, now());
      throw failure(
        'Webhook.Retryable',
        `Webhook receiver at ${origin} answered ${status}; will retry`,
        false,
        delay,
      );
    }
    const hint =
      status >= 300 && status < 400
        ? 'redirects are not followed; use the final URL'
        : 'check the URL, the secret and the headers the receiver expects';
    throw failure(
      'Webhook.Rejected',
      `Webhook receiver at ${origin} answered ${status}; not retried (${hint})`,
      true,
    );
  }

  return { sendWebhook };
}
