/**
 * Calls to the runtime's own HTTP API (`clasper send`, `clasper turns show`): base URL from `--api`
 * or `http://localhost:$CLASPER_PORT`, and the daemon key from AGENT_DAEMON_API_KEY when set.
 */
import type { Config } from '../config';

export type FetchFn = typeof fetch;

export interface ApiTarget {
  baseUrl: string;
  daemonKey?: string;
  fetch: FetchFn;
}

export function defaultApiUrl(config: Config): string {
  return `http://localhost:${config.server.port}`;
}

export function apiTarget(config: Config, api: string | undefined, fetchImpl: FetchFn = fetch): ApiTarget {
  return {
    baseUrl: (api ?? defaultApiUrl(config)).replace(/\/+$/, ''),
    daemonKey: config.server.daemonApiKey,
    fetch: fetchImpl,
  };
}

export interface ApiResponse {
  status: number;
  /** Parsed JSON, or the raw text when the body is not JSON. */
  body: unknown;
}

/** The API could not be reached at all (refused, DNS, timed out). */
export class ApiUnreachableError extends Error {
  constructor(target: ApiTarget, cause: unknown) {
    super(
      `could not reach the Clasper API at ${target.baseUrl}: ${describeFetchError(cause)}. Is the API running? (npm run api, or pass --api <url>)`,
    );
    this.name = 'ApiUnreachableError';
  }
}

export async function callApi(
  target: ApiTarget,
  method: 'GET' | 'POST',
  path: string,
  options: { body?: unknown; headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (target.daemonKey) headers['x-agent-daemon-key'] = target.daemonKey;
  let res: Response;
  try {
    res = await target.fetch(`${target.baseUrl}${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
  } catch (err) {
    throw new ApiUnreachableError(target, err);
  }
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    // not JSON: keep the text for the error message
  }
  return { status: res.status, body };
}

/** The API's `{error, details?}` as one line; anything else as the status and a short excerpt. */
export function apiErrorText(res: ApiResponse): string {
  const body = res.body;
  if (body && typeof body === 'object' && 'error' in body && typeof body.error === 'string') {
    const details = 'details' in body ? body.details : undefined;
    return details === undefined ? body.error : `${body.error}: ${JSON.stringify(details)}`;
  }
  const text = typeof body === 'string' ? body.replace(/\s+/g, ' ').trim().slice(0, 200) : '';
  return `the API answered ${res.status}${text ? `: ${text}` : ''}`;
}

export function describeFetchError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'no answer in time';
  const cause = err.cause instanceof Error ? err.cause : undefined;
  const code = cause && 'code' in cause && typeof cause.code === 'string' ? cause.code : undefined;
  if (code) return `${err.message} (${code})`;
  return cause ? `${err.message}: ${cause.message}` : err.message;
}
