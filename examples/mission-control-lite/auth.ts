/**
 * The two credentials of contract v1: `X-Agent-Token` (a short-lived JWT the runtime mints per
 * agent turn, scoping every read and write to its `user_id`) and `X-Internal-Token` (a static
 * secret the dispatcher shares with the backend). Both hooks run at onRequest, before the body is
 * parsed, so an unauthenticated caller learns nothing about body validation.
 */
import crypto from 'node:crypto';
import { type FastifyReply, type FastifyRequest } from 'fastify';
import { decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import { HttpError } from './errors';

export type JwtAlgorithm = 'HS256' | 'HS384' | 'HS512';

export interface Agent {
  userId: string;
  role: string;
}

export type AuthHook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

// A WeakMap instead of a FastifyRequest type augmentation: augmentations are global to the whole
// TypeScript project, and the runtime's own API lives in the same project.
const agents = new WeakMap<FastifyRequest, Agent>();

/** The agent authenticated for this request; only valid on routes that use the agent hook. */
export function agentOf(request: FastifyRequest): Agent {
  const agent = agents.get(request);
  if (!agent) throw new Error(`route ${request.url} reads the agent but has no agent auth hook`);
  return agent;
}

function headerValue(request: FastifyRequest, name: string): string | undefined {
  const raw = request.headers[name];
  if (Array.isArray(raw)) return raw.length === 1 ? raw[0] : '';
  return raw;
}

function invalid(reason: string, code = 'invalid_token'): HttpError {
  return new HttpError(401, `X-Agent-Token is invalid: ${reason}`, code);
}

function describeJoseError(err: unknown, token: string, algorithm: JwtAlgorithm): HttpError {
  if (err instanceof joseErrors.JWTExpired) {
    return new HttpError(401, 'X-Agent-Token has expired; mint a fresh token and retry', 'token_expired');
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) {
    return invalid('signature verification failed (do both sides use the same AGENT_JWT_SECRET?)');
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed) {
    let alg = 'unknown';
    try {
      alg = String(decodeProtectedHeader(token).alg);
    } catch {
      // the header already failed to decode inside jose; "unknown" is the honest answer
    }
    return invalid(
      `algorithm "${alg}" is not accepted; this backend accepts only ${algorithm} (AGENT_JWT_ALGORITHM)`,
    );
  }
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    return invalid(
      `claim "${err.claim}" ${err.reason === 'missing' ? 'is missing' : 'failed validation'}: ${err.message}`,
    );
  }
  if (err instanceof joseErrors.JOSEError) {
    return invalid(`${err.message} (expected a compact JWS signed with ${algorithm})`);
  }
  return invalid(err instanceof Error ? err.message : String(err));
}

export function createAgentAuth(secret: string, algorithm: JwtAlgorithm): AuthHook {
  const key = new TextEncoder().encode(secret);
  return async (request) => {
    const token = headerValue(request, 'x-agent-token');
    if (token === undefined || token.trim() === '') {
      throw new HttpError(
        401,
        'X-Agent-Token is missing; send the agent JWT minted by the runtime in the X-Agent-Token header',
        'missing_token',
      );
    }
    let payload: Record<string, unknown>;
    try {
      // `algorithms` pins the one configured HMAC alg, which also rejects `alg: none` and any
      // algorithm confusion; `requiredClaims` makes an exp-less (never expiring) token invalid.
      ({ payload } = await jwtVerify(token, key, { algorithms: [algorithm], requiredClaims: ['exp'] }));
    } catch (err) {
      throw describeJoseError(err, token, algorithm);
    }
    if (payload.type !== 'agent') {
      throw invalid(`claim "type" must be "agent", got ${JSON.stringify(payload.type ?? null)}`);
    }
    for (const claim of ['user_id', 'agent_role'] as const) {
      const value = payload[claim];
      if (typeof value !== 'string' || value.trim() === '') {
        throw invalid(`claim "${claim}" must be a non-empty string, got ${JSON.stringify(value ?? null)}`);
      }
    }
    agents.set(request, { userId: payload.user_id as string, role: payload.agent_role as string });
  };
}

/** Compares digests so neither the token's content nor its length leaks through timing. */
function sameSecret(given: string, expected: string): boolean {
  const a = crypto.createHash('sha256').update(given).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b);
}

export function createInternalAuth(internalToken: string): AuthHook {
  return async (request) => {
    const token = headerValue(request, 'x-internal-token');
    if (token === undefined || token === '') {
      throw new HttpError(
        401,
        'X-Internal-Token is missing; internal endpoints need the INTERNAL_API_TOKEN shared with the dispatcher',
        'missing_internal_token',
      );
    }
    if (!sameSecret(token, internalToken)) {
      throw new HttpError(
        401,
        'X-Internal-Token is invalid; it must equal INTERNAL_API_TOKEN of this backend',
        'invalid_internal_token',
      );
    }
  };
}
