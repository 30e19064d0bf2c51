/**
 * The two credentials of contract v1, built per call: a freshly minted agent JWT, or the static
 * internal token (or none, for the open capabilities probe). Returned with the header to send and the value to scrub from any error text;
 * neither is ever stored, logged or returned to a caller of the client.
 */
import type { Config } from '../../config';
import { notConfigured, type AuthKind } from './errors';
import { mintAgentToken } from './jwt';
import type { AgentIdentity } from './types';

export interface Credential {
  kind: AuthKind;
  header: Record<string, string>;
  /** Scrubbed from error messages in case a backend echoes it. */
  secret: string;
}

/** No token at all: only for the contract's capabilities probe, which a backend may serve open. */
export const NO_CREDENTIAL: Credential = { kind: 'none', header: {}, secret: '' };

export async function agentCredential(backend: Config['backend'], id: AgentIdentity): Promise<Credential> {
  const { jwtSecret, jwtAlgorithm, jwtTtlSec } = backend;
  if (!jwtSecret) {
    throw notConfigured(
      'AGENT_JWT_SECRET is not set: the worker needs it to sign agent tokens for Mission Control; set it to the secret the backend verifies with',
    );
  }
  const token = await mintAgentToken({
    secret: jwtSecret,
    algorithm: jwtAlgorithm,
    ttlSec: jwtTtlSec,
    userId: id.userId,
    role: id.role,
  });
  return { kind: 'agent', header: { 'x-agent-token': token }, secret: token };
}

export function internalCredential(backend: Config['backend']): Credential {
  const token = backend.internalToken;
  if (!token) {
    throw notConfigured(
      'INTERNAL_API_TOKEN is not set: notification dispatch calls need it; set it to the internal token the backend expects',
    );
  }
  return { kind: 'internal', header: { 'x-internal-token': token }, secret: token };
}
