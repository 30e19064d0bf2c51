/**
 * Idempotency keys for create endpoints. A client that lost a response (timeout, dropped
 * connection) retries with the same key and gets the original result instead of a duplicate.
 * Keys are scoped per (user, endpoint) — the original reference kept one global map, which let
 * two tenants collide — and bound to a fingerprint of the body so a reused key with different
 * content is a loud 409, not a silent wrong answer.
 */
import crypto from 'node:crypto';
import { HttpError } from './errors';

interface Entry {
  fingerprint: string;
  response: unknown;
}

/** JSON with object keys sorted at every level, so key order never changes the fingerprint. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Fingerprint of a request body, ignoring the `idempotency_key` field itself. */
export function fingerprint(body: unknown): string {
  let rest = body;
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
    const { idempotency_key: _ignored, ...others } = body as Record<string, unknown>;
    rest = others;
  }
  return crypto.createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

export interface IdempotentResult<T> {
  response: T;
  replayed: boolean;
}

export class IdempotencyStore {
  private readonly entries = new Map<string, Entry>();

  /**
   * Runs `create` once per (user, endpoint, key). `create` must be synchronous: check and store
   * then happen in one tick, so two concurrent retries cannot both create.
   * Without a key, `create` simply runs.
   */
  run<T>(
    userId: string,
    endpoint: string,
    key: string | undefined,
    body: unknown,
    create: () => T,
  ): IdempotentResult<T> {
    if (key === undefined) return { response: create(), replayed: false };
    const mapKey = JSON.stringify([userId, endpoint, key]);
    const print = fingerprint(body);
    const existing = this.entries.get(mapKey);
    if (existing) {
      if (existing.fingerprint !== print) {
        throw new HttpError(
          409,
          `idempotency_key "${key}" was already used on ${endpoint} with a different body; ` +
            'reuse a key only to retry the exact same request, or pick a new key',
          'idempotency_conflict',
        );
      }
      return { response: existing.response as T, replayed: true };
    }
    const response = create();
    // A copy, so a later change to the stored record (a notification being delivered) does not
    // change what a replay returns: a replay answers exactly what the first call answered.
    this.entries.set(mapKey, { fingerprint: print, response: structuredClone(response) });
    return { response, replayed: false };
  }
}
