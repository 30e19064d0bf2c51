/**
 * The one place that turns a failed model call into a Temporal failure (docs/architecture.md,
 * "Retry classes"). The `openai` client runs with `maxRetries: 0`, so Temporal's retry policy is the only
 * retry loop: a retryable failure here is retried by the activity (honouring `Retry-After` through
 * `nextRetryDelay`), a non-retryable one fails the attempt at once so the workflow can move to the
 * fallback model or report the error. Messages keep the provider's own words and never the API key.
 */
import { ApplicationFailure } from '@temporalio/common';
import { rootFailureDetails } from '../../shared/failures';
import { MAX_RETRY_AFTER_MS, retryAfterMs, scrub as scrubSecrets, shorten } from '../http-errors';

export { MAX_RETRY_AFTER_MS, retryAfterMs as retryDelayFrom };
import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';

export const ModelError = {
  /** 429 with a rate limit (not a spent quota). */
  RateLimited: 'Model.RateLimited',
  /** 429 `insufficient_quota`: the account is out of credit; retrying cannot help. */
  QuotaExceeded: 'Model.QuotaExceeded',
  Timeout: 'Model.Timeout',
  Conflict: 'Model.Conflict',
  ServerError: 'Model.ServerError',
  /** No HTTP answer: refused, reset, DNS, or our own request timeout. */
  Network: 'Model.Network',
  BadRequest: 'Model.BadRequest',
  Unauthorized: 'Model.Unauthorized',
  Forbidden: 'Model.Forbidden',
  NotFound: 'Model.NotFound',
  Unprocessable: 'Model.Unprocessable',
  /** Any other 4xx. */
  ClientError: 'Model.ClientError',
  /** 1xx/3xx or a status the client could not read. */
  UnexpectedStatus: 'Model.UnexpectedStatus',
  /** A 2xx whose body is not a chat completion (wrong OPENAI_BASE_URL, a proxy's page). */
  InvalidResponse: 'Model.InvalidResponse',
  /** With `rejectEmpty`: a completion with neither text nor tool calls; retried, never posted. */
  EmptyAnswer: 'Model.EmptyAnswer',
  /** The fallback tier was asked for but LLM_MODEL_FALLBACK is not set. */
  NoFallback: 'Model.NoFallback',
  /** A 422/500 whose text is a validation error of our request's shape: retried once at most. */
  RequestRejected: 'Model.RequestRejected',
  /** A streamed answer stopped mid-way for longer than LLM_STREAM_IDLE_TIMEOUT_SEC; retried. */
  StreamStalled: 'Model.StreamStalled',
  /** The server cannot stream a request that offers tools (llama-cpp-python); never retried. */
  StreamingToolsUnsupported: 'Model.StreamingToolsUnsupported',
  /** With LLM_CONTEXT_WINDOW set: the prompt (tool schemas included) leaves no room for an answer; the call is not made. */
  PromptTooLong: 'Model.PromptTooLong',
  /** Our own code asked for something that cannot work (e.g. an unknown tier); never retried. */
  InvalidInput: 'Model.InvalidInput',
  /** Anything that is not an `openai` error (a bug, a library surprise). */
  Unknown: 'Model.Unknown',
} as const;
export type ModelErrorType = (typeof ModelError)[keyof typeof ModelError];

/** Only these travel in a failure's details: enough to debug, nothing secret. */
export interface ModelFailureDetails {
  status: number | null;
  model?: string;
  /** Origin of a non-default OPENAI_BASE_URL, to tell which server answered. */
  endpoint?: string;
  /** The provider's error code, e.g. 'rate_limit_exceeded', 'model_not_found'. */
  code?: string;
  requestId?: string;
}

/** The details of a classified model failure (at the root of the chain), or undefined for any other error. */
export function modelFailureDetails(err: unknown): ModelFailureDetails | undefined {
  return rootFailureDetails(err, 'Model.') as ModelFailureDetails | undefined;
}

export interface ModelErrorContext {
  /** Origin of a non-default OPENAI_BASE_URL (never its path or credentials), e.g. 'http://localhost:11434'. */
  endpoint?: string;
  /** The model that was asked; goes to details and hints. */
  model?: string;
  /** Strings to scrub from messages if anything echoes them (the configured API key). */
  redact?: string[];
  /** Our request timeout, so a timeout's message can say how long we waited. */
  timeoutMs?: number;
  /** The activity attempt (1-based): a validation 500 is retried once, then no more. */
  attempt?: number;
  now?: Date;
}

/** The origin requests go to when OPENAI_BASE_URL is not set. */
export const OPENAI_ORIGIN = 'https://api.openai.com';

/**
 * Messages name the server that answered, by origin (`model server at http://127.0.0.1:8080`),
 * never "OpenAI" for whatever stands behind OPENAI_BASE_URL: operators grep for one prefix and
 * still see at once which server it was.
 */
function serverOf(ctx: ModelErrorContext): string {
  return `model server at ${ctx.endpoint ?? OPENAI_ORIGIN}`;
}

/**
 * How compatible servers word a rejection of the request's shape: pydantic (llama.cpp's Python
 * server, vLLM), JSON-schema validators and OpenAI's own wording. Such a server often answers 500
 * for it, which would otherwise be retried as a server fault with the same request every time.
 */
const VALIDATION_TEXT =
  /Input should be|Field required|Extra inputs are not permitted|validation errors? for|is not of type|is a required property|[a-z]+_type\b|literal_error|missing required|invalid type/i;

/** True when an error text says the server rejected the request's shape, not that it failed. */
export function isValidationText(text: string): boolean {
  return VALIDATION_TEXT.test(text);
}

/**
 * llama-cpp-python's function-calling chat formats refuse a streamed request with tools
 * ("Automatic streaming tool choice is not supported"); other servers word it alike.
 */
export function isStreamingToolsText(text: string): boolean {
  return /\bstreaming\b[^.\n]*\b(?:tool|function)[^.\n]*\bnot supported\b/i.test(text);
}

/**
 * A provider asking for a long pause (OpenAI sometimes says minutes on a 429) would park the turn
 * far beyond any sensible wait; past this the activity's own retry policy decides instead.
 */
/** Provider error text is quoted into messages; a whole HTML error page is not useful there. */
const MAX_ERROR_TEXT_CHARS = 500;

/**
 * Classifies anything a model call threw. Always returns (never throws) so callers write
 * `throw classifyModelError(err, ctx)`. An ApplicationFailure passes through unchanged.
 */
export function classifyModelError(err: unknown, ctx: ModelErrorContext = {}): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  const scrubText = (text: string) => scrub(text, ctx.redact);

  // APIConnectionError extends APIError with no status, so it must be checked first.
  if (err instanceof APIConnectionError) {
    const timedOut = err instanceof APIConnectionTimeoutError;
    const reason = timedOut
      ? `no answer within ${ctx.timeoutMs !== undefined ? `${ctx.timeoutMs} ms` : 'the request timeout'}`
      : describeConnectionError(err);
    return ApplicationFailure.create({
      message: scrubText(
        `Could not get an answer from the ${serverOf(ctx)}: ${reason}; ` +
          (timedOut
            ? 'if the server is only slow (a local model on a CPU), raise LLM_REQUEST_TIMEOUT_SEC'
            : `check that ${ctx.endpoint ? 'OPENAI_BASE_URL' : 'api.openai.com'} is reachable from the worker`),
      ),
      type: ModelError.Network,
      nonRetryable: false,
      details: [details(null, ctx)],
      cause: sanitizedCause(err, ctx.redact),
    });
  }

  if (err instanceof APIError && typeof err.status === 'number') {
    const status = err.status;
    const text = providerText(err);
    const code = typeof err.code === 'string' ? err.code : undefined;
    const rejected = (status === 500 || status === 422) && isValidationText(text);
    const [type, retryable] = isStreamingToolsText(text)
      ? // Not even once: llama-cpp-python's server crashes after answering this.
        [ModelError.StreamingToolsUnsupported, false]
      : rejected
        ? // One retry for a 500, in case the text was a coincidence; the same request fails the same way.
          [ModelError.RequestRejected, status === 500 && (ctx.attempt ?? 1) < 2]
        : statusClass(status, code);
    const hint = hintFor(type, ctx.model);
    const delayMs = retryable ? retryAfterMs(err.headers, ctx.now) : undefined;
    return ApplicationFailure.create({
      message: scrubText(`${serverOf(ctx)} answered ${status}: ${text}${hint ? ` (${hint})` : ''}`),
      type,
      nonRetryable: !retryable,
      details: [details(status, ctx, code, err.requestID ?? undefined)],
      cause: sanitizedCause(err, ctx.redact),
      ...(delayMs !== undefined ? { nextRetryDelay: delayMs } : {}),
    });
  }

  // Not an HTTP answer we can read (an aborted request, a bug in our mapping): retryable, because
  // the activity's retry policy bounds the attempts and the workflow then tries the fallback model.
  const message = err instanceof Error ? err.message : String(err);
  return ApplicationFailure.create({
    message: scrubText(
      `Calling the ${serverOf(ctx)} failed unexpectedly: ${shorten(message, MAX_ERROR_TEXT_CHARS)}`,
    ),
    type: ModelError.Unknown,
    nonRetryable: false,
    details: [details(null, ctx)],
    cause: err instanceof Error ? sanitizedCause(err, ctx.redact) : undefined,
  });
}

/** The fallback tier has nothing to fall back to; a configuration fact, never retried. */
export function noFallbackConfigured(): ApplicationFailure {
  return ApplicationFailure.create({
    message:
      'No fallback model is configured: set LLM_MODEL_FALLBACK to let a turn move to another model when the default one keeps failing',
    type: ModelError.NoFallback,
    nonRetryable: true,
  });
}

/**
 * A completion with no text and no tool calls, for a caller that asked `rejectEmpty` (agent
 * turns). Posting it would write an empty agent message (the original Clasper did; the contract
 * rejects it), so it counts as a retryable model fault: the attempts, then the fallback model,
 * then a turn failure that says what happened.
 */
export function emptyAnswer(finishReason: string | null, ctx: ModelErrorContext = {}): ApplicationFailure {
  return ApplicationFailure.create({
    message: `${serverOf(ctx)} answered with no text and no tool calls (finish_reason: ${finishReason ?? 'none'})`,
    type: ModelError.EmptyAnswer,
    nonRetryable: false,
    details: [details(200, ctx)],
  });
}

/** The prompt cannot fit the configured context window; checked before the call, never retried. */
export function promptTooLong(
  prompt: { tokens: number; method: string },
  window: number,
  ctx: ModelErrorContext = {},
): ApplicationFailure {
  const how = prompt.method.startsWith('tiktoken') ? 'counted' : 'estimated at characters / 4';
  return ApplicationFailure.create({
    message:
      `The prompt for the ${serverOf(ctx)} takes about ${prompt.tokens} tokens (messages and tool schemas, ${how}), ` +
      `which leaves no room for an answer in its ${window}-token context window (LLM_CONTEXT_WINDOW); ` +
      'compact the conversation (POST /compact), shorten the workspace files, or start the server with a larger context and raise LLM_CONTEXT_WINDOW',
    type: ModelError.PromptTooLong,
    nonRetryable: true,
    details: [details(null, ctx)],
  });
}

/**
 * A streamed answer whose chunks stopped: retryable (a stuck server or connection usually answers
 * the next attempt). Before the first chunk it is the request timeout, after it the idle timeout.
 */
export function streamStalled(
  stall: { waitedMs: number; began: boolean },
  ctx: ModelErrorContext = {},
): ApplicationFailure {
  const [what, setting] = stall.began
    ? ['stopped sending in the middle of a streamed answer', 'LLM_STREAM_IDLE_TIMEOUT_SEC']
    : ['sent no chunk of a streamed answer', 'LLM_REQUEST_TIMEOUT_SEC'];
  return ApplicationFailure.create({
    message: `The ${serverOf(ctx)} ${what} for ${stall.waitedMs} ms; the attempt was abandoned to be retried (if the server is only slow, raise ${setting})`,
    type: stall.began ? ModelError.StreamStalled : ModelError.Network,
    nonRetryable: false,
    details: [details(200, ctx)],
  });
}

/** A 2xx whose body is not a chat completion; retrying the same server will not fix it. */
export function invalidResponse(problem: string, ctx: ModelErrorContext = {}): ApplicationFailure {
  return ApplicationFailure.create({
    message: `${serverOf(ctx)} answered but ${problem}; check that OPENAI_BASE_URL points at an OpenAI-compatible chat-completions API`,
    type: ModelError.InvalidResponse,
    nonRetryable: true,
    details: [details(null, ctx)],
  });
}

function statusClass(status: number, code: string | undefined): [ModelErrorType, boolean] {
  if (status === 429)
    return code === 'insufficient_quota' ? [ModelError.QuotaExceeded, false] : [ModelError.RateLimited, true];
  if (status === 408) return [ModelError.Timeout, true];
  if (status === 409) return [ModelError.Conflict, true];
  if (status >= 500 && status <= 599) return [ModelError.ServerError, true];
  if (status === 400) return [ModelError.BadRequest, false];
  if (status === 401) return [ModelError.Unauthorized, false];
  if (status === 403) return [ModelError.Forbidden, false];
  if (status === 404) return [ModelError.NotFound, false];
  if (status === 422) return [ModelError.Unprocessable, false];
  if (status >= 400 && status <= 499) return [ModelError.ClientError, false];
  return [ModelError.UnexpectedStatus, false];
}

function hintFor(type: ModelErrorType, model: string | undefined): string | undefined {
  switch (type) {
    case ModelError.Unauthorized:
      return 'check OPENAI_API_KEY';
    case ModelError.Forbidden:
      return `check that the API key's project may use ${model ? `model '${model}'` : 'this model'}`;
    case ModelError.NotFound:
      return `check LLM_MODEL_DEFAULT / LLM_MODEL_FALLBACK / LLM_MODEL_CHEAP${model ? ` (asked for '${model}')` : ''} and OPENAI_BASE_URL`;
    case ModelError.RequestRejected:
      return 'the server rejects the shape of this request, so retrying cannot help; check that it speaks the OpenAI chat-completions API, or report it with the server name and version';
    case ModelError.StreamingToolsUnsupported:
      return 'this server cannot stream a request that offers tools: set LLM_STREAM_WITH_TOOLS=false';
    case ModelError.QuotaExceeded:
      return "the account's quota is used up: check the provider's plan and billing";
    default:
      return undefined;
  }
}

/** The provider's own message (`{error:{message}}`), else what the client made of the body. */
function providerText(err: APIError): string {
  const body = err.error as { message?: unknown } | undefined;
  if (body && typeof body.message === 'string' && body.message.trim() !== '')
    return shorten(body.message, MAX_ERROR_TEXT_CHARS);
  // The client's message is "<status> <text>"; drop the status we already print.
  const text = err.message.replace(/^\d{3}\s+/, '');
  return shorten(
    text === `status code (no body)` ? 'no error text in the response' : text,
    MAX_ERROR_TEXT_CHARS,
  );
}

/** The client says only "Connection error."; the useful part (ECONNREFUSED, socket hang up) is in the causes. */
function describeConnectionError(err: Error): string {
  const parts: string[] = [err.message];
  let cause: unknown = err.cause;
  for (let depth = 0; cause instanceof Error && depth < 3; depth++) {
    const code = 'code' in cause && typeof cause.code === 'string' ? cause.code : undefined;
    if (cause.message && !parts.includes(cause.message)) parts.push(cause.message);
    if (code && !parts.some((p) => p.includes(code))) parts.push(code);
    cause = cause.cause;
  }
  return shorten(parts.join(': '), MAX_ERROR_TEXT_CHARS);
}

function details(
  status: number | null,
  ctx: ModelErrorContext,
  code?: string,
  requestId?: string,
): ModelFailureDetails {
  return {
    status,
    ...(ctx.model ? { model: ctx.model } : {}),
    ...(ctx.endpoint ? { endpoint: ctx.endpoint } : {}),
    ...(code ? { code } : {}),
    ...(requestId ? { requestId } : {}),
  };
}

/**
 * OpenAI's 401 quotes the key it got, masked ("sk-proj-****abcd"); a compatible server might not
 * mask it. The configured key is removed wherever it appears, and so is anything shaped like an
 * OpenAI secret key.
 */
function scrub(text: string, secrets: string[] = []): string {
  return scrubSecrets(text, secrets).replace(/\bsk-[A-Za-z0-9_-]{16,}/g, 'sk-[redacted]');
}

/** The cause travels into workflow history too; if its message would leak the key, send a scrubbed copy. */
function sanitizedCause(err: Error, secrets: string[] = []): Error {
  const clean = scrub(err.message, secrets);
  if (clean === err.message) return err;
  const copy = new Error(clean);
  copy.name = err.name;
  return copy;
}
