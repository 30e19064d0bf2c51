/**
 * Agent tokens for Mission Control (docs/contract.md, "Authentication"). A token is minted fresh
 * for every backend call, inside the activity that makes it, so neither the secret nor a token ever
 * enters workflow history, a log line or an error message. Callers must treat the returned string
 * as a secret.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Config } from '../../config';

export interface MintAgentTokenInput {
  secret: string;
  algorithm: Config['backend']['jwtAlgorithm'];
  ttlSec: number;
  userId: string;
  role: string;
  /** Clock override for tests; defaults to the current time. */
  now?: Date;
}

export async function mintAgentToken(input: MintAgentTokenInput): Promise<string> {
  const iat = Math.floor((input.now ?? new Date()).getTime() / 1000);
  return (
    new SignJWT({ type: 'agent', user_id: input.userId, agent_role: input.role })
      .setProtectedHeader({ alg: input.algorithm, typ: 'JWT' })
      .setSubject(`clasper:${input.role}`)
      .setIssuedAt(iat)
      .setExpirationTime(iat + input.ttlSec)
      // A unique id per token lets a backend reject replays if it chooses to.
      .setJti(randomUUID())
      .sign(new TextEncoder().encode(input.secret))
  );
}
