/**
 * One HTTP exchange with Mission Control: URL, auth header, timeout, cancellation, JSON in and
 * out, and classification of every failure (errors.ts). The client (client.ts) names the paths;
 * this module is the only place that calls `fetch`.
 */
import { type z } from 'zod';
import { inClientSpan, isTracing, propagationHeaders, serverAttributes } from '../tracing';
import type { Credential } from './credentials';
import { classifyFetchFailure, classifyResponse, invalidResponse } from './errors';

/**
 * A backend call that has not answered in 30 s is treated as lost and retried (writes are
 * idempotent); the activities' start-to-close timeout leaves room for one such wait.
 */
export const MISSION_CONTROL_TIMEOUT_MS = 30_000;

export type Query = Record<string, string | number | undefined>;

export interface HttpRequest<S extends z.ZodType> {
  method: 'GET' | 'POST';
  /** Path below BACKEND_URL; any user data in it must already be encodeURIComponent'ed. */
  path: string;
  /** `path` with its ids as placeholders (`…/notifications/{id}/deliver`), for the trace span's name. */
  route?: string;
  query?: Query;
  body?: unknown;
  auth: Credential;
  /** The expected response shape; a 2xx that does not match is a non-retryable InvalidResponse. */
  schema: S;
  extraHeaders?: Record<string, string>;
  signal?: AbortSignal;
}

export interface HttpTransport {
  baseUrl: string;
  timeoutMs: number;
}

/**
 * One exchange, in a trace span `GET /api/mission-control/tasks` when tracing is on (method, route,
 * server and status; never the query, body or token), with the trace context sent on as
 * `traceparent` so a traced backend joins the turn's trace.
 */
export function sendRequest<S extends z.ZodType>(
  transport: HttpTransport,
  req: HttpRequest<S>,
): Promise<z.output<S>> {
  if (!isTracing()) return exchange(transport, req, () => undefined);
  const route = req.route ?? req.path;
  const attributes = {
    'http.request.method': req.method,
    'http.route': route,
    ...serverAttributes(transport.baseUrl),
  };
  return inClientSpan(`${req.method} ${route}`, attributes, (span) =>
    exchange(transport, req, (status) => span?.setAttribute('http.response.status_code', status)),
  );
}

async function exchange<S extends z.ZodType>(
  transport: HttpTransport,
  req: HttpRequest<S>,
  onStatus: (status: number) => void,
): Promise<z.output<S>> {
  const url = buildUrl(transport.baseUrl, req.path, req.query);
  const redact = [req.auth.secret];
  const headers: Record<string, string> = {
    accept: 'application/json',
    ...propagationHeaders(),
    ...req.extraHeaders,
    ...req.auth.header,
  };
  if (req.body !== undefined) headers['content-type'] = 'application/json';
  const timeout = AbortSignal.timeout(transport.timeoutMs);
  const signal = req.signal ? AbortSignal.any([timeout, req.signal]) : timeout;

  let status: number;
  let bodyText: string;
  let retryAfter: string | null;
  try {
    const res = await fetch(url, {
      method: req.method,
      headers,
      body: req.body === undefined ? undefined : JSON.stringify(req.body),
      signal,
      // Following a redirect would send the token wherever the Location points; a 3xx is reported instead.
      redirect: 'manual',
    });
    status = res.status;
    onStatus(status);
    retryAfter = res.headers.get('retry-after');
    // The body is read under the same signal, so a backend that stalls mid-answer also times out.
    bodyText = await res.text();
  } catch (error) {
    // Activity cancellation: let Temporal see its own cancellation, not a "network error".
    if (req.signal?.aborted) throw req.signal.reason ?? error;
    throw classifyFetchFailure({
      method: req.method,
      path: req.path,
      error,
      timeoutMs: transport.timeoutMs,
      redact,
    });
  }

  if (status < 200 || status > 299) {
    throw classifyResponse({
      method: req.method,
      path: req.path,
      status,
      bodyText,
      retryAfter,
      auth: req.auth.kind,
      redact,
    });
  }
  return parseBody(req, status, bodyText);
}

function parseBody<S extends z.ZodType>(req: HttpRequest<S>, status: number, bodyText: string): z.output<S> {
  let json: unknown = null;
  if (bodyText.trim() !== '') {
    try {
      json = JSON.parse(bodyText);
    } catch {
      throw invalidResponse(req.method, req.path, status, 'the body is not JSON');
    }
  }
  const parsed = req.schema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.length ? i.path.join('.') : '(body)'}: ${i.message}`)
      .join('; ');
    throw invalidResponse(req.method, req.path, status, `the body does not match contract v1 (${problems})`);
  }
  return parsed.data;
}

function buildUrl(baseUrl: string, path: string, query: Query | undefined): string {
  const url = new URL(`${baseUrl.replace(/\/+$/, '')}${path}`);
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined) url.searchParams.set(key, String(value));
  }
  return url.toString();
}
