/**
 * Shared by the mission-control-lite test files: a fresh server per test, and agent tokens minted
 * the way the runtime mints them (docs/contract.md, "Authentication"), with knobs to break each
 * property on purpose.
 */
import crypto from 'node:crypto';
import { type FastifyInstance } from 'fastify';
import { SignJWT } from 'jose';
import { buildMissionControlLite } from './server';

export const SECRET = 'test-secret-for-mission-control-lite-0123456789';
export const INTERNAL = 'internal-token-for-tests';

export function buildTestServer(jwtAlgorithm?: 'HS256' | 'HS384' | 'HS512'): Promise<FastifyInstance> {
  return buildMissionControlLite({ jwtSecret: SECRET, internalToken: INTERNAL, jwtAlgorithm });
}

export interface TokenOptions {
  userId?: string;
  role?: string;
  secret?: string;
  alg?: 'HS256' | 'HS384' | 'HS512';
  type?: string;
  /** Seconds from now; negative for an already expired token; null for no exp claim at all. */
  expiresIn?: number | null;
  extraClaims?: Record<string, unknown>;
}

export async function mintToken(opts: TokenOptions = {}): Promise<string> {
  const role = opts.role ?? 'lead';
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({
    type: opts.type ?? 'agent',
    user_id: opts.userId ?? 'u1',
    agent_role: role,
    ...opts.extraClaims,
  })
    .setProtectedHeader({ alg: opts.alg ?? 'HS256', typ: 'JWT' })
    .setSubject(`clasper:${role}`)
    .setIssuedAt(now - 5)
    .setJti(crypto.randomUUID());
  const expiresIn = opts.expiresIn === undefined ? 300 : opts.expiresIn;
  if (expiresIn !== null) jwt.setExpirationTime(now + expiresIn);
  return jwt.sign(new TextEncoder().encode(opts.secret ?? SECRET));
}

/** An unsigned token (`alg: none`), built by hand because jose refuses to create one. */
export function unsignedToken(claims: Record<string, unknown>): string {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v), 'utf8').toString('base64url');
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
}

export function agentClaims(userId = 'u1', role = 'lead'): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    type: 'agent',
    user_id: userId,
    agent_role: role,
    sub: `clasper:${role}`,
    iat: now,
    exp: now + 300,
    jti: crypto.randomUUID(),
  };
}

/** Thin wrapper over inject for JSON calls with an agent token. */
export async function asAgent(
  app: FastifyInstance,
  token: string,
  method: 'GET' | 'POST' | 'DELETE',
  url: string,
  payload?: unknown,
) {
  const res = await app.inject({
    method,
    url,
    headers: { 'x-agent-token': token },
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
  return { status: res.statusCode, body: res.json(), headers: res.headers };
}

/** Thin wrapper over inject for JSON calls with the internal token (or a given one). */
export async function asInternal(
  app: FastifyInstance,
  method: 'GET' | 'POST' | 'DELETE',
  url: string,
  payload?: unknown,
  token: string | null = INTERNAL,
) {
  const res = await app.inject({
    method,
    url,
    headers: token === null ? {} : { 'x-internal-token': token },
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
  return { status: res.statusCode, body: res.json(), headers: res.headers };
}
