/**
 * The one place that turns a Mission Control answer or a failed fetch into a Temporal failure
 * (docs/architecture.md, "Retry classes"; docs/contract.md, "Errors"). Each failure has a named
 * type, so retry policies, workflows and operators can tell a flaky network from a wrong secret.
 * Messages and details carry the method, path, status and the backend's own error text, never
 * headers or tokens.
 */
import { ApplicationFailure } from '@temporalio/common';
import { rootFailureDetails } from '../../shared/failures';
import { MAX_RETRY_AFTER_MS, parseRetryAfter, scrub, shorten as shortenTo } from '../http-errors';

export { MAX_RETRY_AFTER_MS, parseRetryAfter };

export const MissionControlError = {
  /** Connection refused/reset, response lost, or no answer within the call timeout. */
  Network: 'MissionControl.Network',
  Timeout: 'MissionControl.Timeout',
  Conflict: 'MissionControl.Conflict',
  RateLimited: 'MissionControl.RateLimited',
  ServerError: 'MissionControl.ServerError',
  BadRequest: 'MissionControl.BadRequest',
  Unauthorized: 'MissionControl.Unauthorized',
  Forbidden: 'MissionControl.Forbidden',
  NotFound: 'MissionControl.NotFound',
  /** Any other 4xx. */
  ClientError: 'MissionControl.ClientError',
  /** 1xx/3xx: redirects are not followed, so tokens are only ever sent to BACKEND_URL. */
  UnexpectedStatus: 'MissionControl.UnexpectedStatus',
  /** A 2xx whose body is not the JSON shape the contract promises. */
  InvalidResponse: 'MissionControl.InvalidResponse',
  /** The worker lacks a setting the call needs (AGENT_JWT_SECRET, INTERNAL_API_TOKEN). */
  NotConfigured: 'MissionControl.NotConfigured',
  /** Paging did not end within the client's page cap. */
  TooManyPages: 'MissionControl.TooManyPages',
  /** Our own code called the client wrongly (e.g. an empty idempotency key). */
  InvalidCall: 'MissionControl.InvalidCall',
} as const;
export type MissionControlErrorType = (typeof MissionControlError)[keyof typeof MissionControlError];

/** Which credential a request carried; decides the hint on a 401/403. */
export type AuthKind = 'agent' | 'internal' | 'none';

/** Only these travel in a failure's details: enough to debug, nothing secret. */
export interface MissionControlFailureDetails {
  status: number | null;
  path: string;
  code?: string;
  /** The backend's own error text of a non-2xx answer (shortened, scrubbed like the message). */
  text?: string;
}

/** The details of a classified Mission Control failure (at the root of the chain), or undefined for any other error. */
export function missionControlFailureDetails(err: unknown): MissionControlFailureDetails | undefined {
  return rootFailureDetails(err, 'MissionControl.') as MissionControlFailureDetails | undefined;
}

/** Backend error text is quoted into messages; a whole HTML error page is not useful there. */
const MAX_ERROR_TEXT_CHARS = 300;

export interface ResponseFacts {
  method: string;
  /** Path without the query string (cursors and ids in queries add noise, not meaning). */
  path: string;
  status: number;
  /** Raw response body (may be empty or non-JSON). */
  bodyText: string;
  retryAfter?: string | null;
  auth: AuthKind;
  /** Strings to scrub if a backend echoes them (the token we sent). */
  redact?: string[];
  now?: Date;
}

/** Classifies a non-2xx response. Always returns (never throws) so callers write `throw classifyResponse(…)`. */
export function classifyResponse(facts: ResponseFacts): ApplicationFailure {
  const { status } = facts;
  const { text, code } = readBackendError(facts.bodyText);
  const details: MissionControlFailureDetails = {
    status,
    path: facts.path,
    ...(code ? { code } : {}),
    text: scrub(text, facts.redact),
  };
  const delayMs = parseRetryAfter(facts.retryAfter, facts.now);
  const [type, retryable] = statusClass(status, code, text);
  const hint = hintFor(status, facts.auth);
  const message = scrub(
    `${facts.method} ${facts.path} answered ${status}: ${text}${hint ? ` (${hint})` : ''}`,
    facts.redact,
  );
  return ApplicationFailure.create({
    message,
    type,
    nonRetryable: !retryable,
    details: [details],
    ...(retryable && delayMs !== undefined ? { nextRetryDelay: delayMs } : {}),
  });
}

function statusClass(
  status: number,
  code: string | undefined,
  text: string,
): [MissionControlErrorType, boolean] {
  if (status === 408) return [MissionControlError.Timeout, true];
  if (status === 409) return [MissionControlError.Conflict, isInProgressConflict(code, text)];
  if (status === 429) return [MissionControlError.RateLimited, true];
  if (status >= 500 && status <= 599) return [MissionControlError.ServerError, true];
  if (status === 400 || status === 422) return [MissionControlError.BadRequest, false];
  if (status === 401) return [MissionControlError.Unauthorized, false];
  if (status === 403) return [MissionControlError.Forbidden, false];
  if (status === 404) return [MissionControlError.NotFound, false];
  if (status >= 400 && status <= 499) return [MissionControlError.ClientError, false];
  return [MissionControlError.UnexpectedStatus, false];
}

/**
 * A 409 is worth retrying only while the first request with the same key is still running; an
 * idempotency conflict (same key, other body) will answer 409 forever.
 */
function isInProgressConflict(code: string | undefined, text: string): boolean {
  if (code === 'idempotency_conflict') return false;
  if (code && /in_progress|in-progress/i.test(code)) return true;
  return /in progress/i.test(text);
}

function hintFor(status: number, auth: AuthKind): string | undefined {
  if (auth === 'agent' && status === 401) {
    return "the backend rejected the agent token: check that AGENT_JWT_SECRET and AGENT_JWT_ALGORITHM match the backend's";
  }
  if (auth === 'internal' && (status === 401 || status === 403)) {
    return "the backend rejected the internal token: check that INTERNAL_API_TOKEN matches the backend's";
  }
  if (status >= 300 && status <= 399) {
    return 'redirects are not followed so tokens only go to BACKEND_URL: set BACKEND_URL to the final address';
  }
  return undefined;
}

/**
 * The contract's error body is `{error, code?, details?}`. FastAPI backends (the original Clasper
 * control-plane starter) answer `{detail}` instead: a string, or on a 422 a list of
 * `{loc, msg, type}`, read as `body.title: Field required`. Anything else is quoted as text.
 */
function readBackendError(bodyText: string): { text: string; code?: string } {
  const trimmed = bodyText.trim();
  if (trimmed === '') return { text: 'no error text in the response' };
  try {
    const body: unknown = JSON.parse(trimmed);
    if (body && typeof body === 'object' && !Array.isArray(body)) {
      const { error, message, code, detail } = body as Record<string, unknown>;
      const text =
        typeof error === 'string'
          ? error
          : typeof message === 'string'
            ? message
            : (fastApiDetail(detail) ?? trimmed);
      return { text: shortenTo(text, MAX_ERROR_TEXT_CHARS), ...(typeof code === 'string' ? { code } : {}) };
    }
  } catch {
    // Not JSON (a proxy's HTML page, plain text): quote it as is.
  }
  return { text: shortenTo(trimmed, MAX_ERROR_TEXT_CHARS) };
}

/** FastAPI's `detail`: a sentence, or pydantic's validation errors one `loc: msg` each. */
function fastApiDetail(detail: unknown): string | undefined {
  if (typeof detail === 'string') return detail;
  if (!Array.isArray(detail) || detail.length === 0) return undefined;
  const problems = detail.map((d: unknown) => {
    if (!d || typeof d !== 'object') return JSON.stringify(d);
    const { loc, msg } = d as Record<string, unknown>;
    const where = Array.isArray(loc) ? loc.map(String).join('.') : undefined;
    const what = typeof msg === 'string' ? msg : JSON.stringify(d);
    return where ? `${where}: ${what}` : what;
  });
  return problems.join('; ');
}

export interface FetchFailureFacts {
  method: string;
  path: string;
  error: unknown;
  timeoutMs: number;
  redact?: string[];
}

/**
 * A fetch that never produced a response: refused, reset, lost mid-answer, or timed out. All are
 * retryable; writes carry idempotency keys, so a retry after a lost response cannot duplicate.
 */
export function classifyFetchFailure(facts: FetchFailureFacts): ApplicationFailure {
  const err = facts.error;
  // By name, not instanceof: the DOMException fetch throws on timeout may come from another realm.
  const name = typeof err === 'object' && err !== null && 'name' in err ? err.name : undefined;
  const timedOut = name === 'TimeoutError' || name === 'AbortError';
  const reason = timedOut ? `no answer within ${facts.timeoutMs} ms (timed out)` : describeNetworkError(err);
  return ApplicationFailure.create({
    message: scrub(
      `${facts.method} ${facts.path} failed before the backend answered: ${reason}; check that BACKEND_URL is reachable`,
      facts.redact,
    ),
    type: MissionControlError.Network,
    nonRetryable: false,
    details: [{ status: null, path: facts.path } satisfies MissionControlFailureDetails],
  });
}

/** undici reports `fetch failed` and hides the useful part (ECONNREFUSED, socket closed) in `cause`. */
function describeNetworkError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? err.cause : undefined;
  const causeCode = cause && 'code' in cause && typeof cause.code === 'string' ? cause.code : undefined;
  const parts = [
    err.message,
    cause?.message,
    causeCode && !cause?.message.includes(causeCode) ? causeCode : undefined,
  ];
  return parts.filter(Boolean).join(': ');
}

/** Failures that are our configuration's or code's fault, not the backend's: never retried. */
export function notConfigured(message: string): ApplicationFailure {
  return ApplicationFailure.create({ message, type: MissionControlError.NotConfigured, nonRetryable: true });
}

export function invalidResponse(
  method: string,
  path: string,
  status: number,
  problem: string,
): ApplicationFailure {
  return ApplicationFailure.create({
    message: `${method} ${path} answered ${status} but ${problem}; check that BACKEND_URL points at a Mission Control v1 backend`,
    type: MissionControlError.InvalidResponse,
    nonRetryable: true,
    details: [{ status, path } satisfies MissionControlFailureDetails],
  });
}
