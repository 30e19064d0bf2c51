/**
 * Mission Control Lite: the reference backend for contract v1 (docs/contract.md), in memory,
 * with real JWT checks. It exists so the runtime can be developed and tested end to end without
 * a real SaaS backend, and it adds `_inspect` and `_faults` so tests can see what was written
 * and make the network misbehave on purpose.
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { createAgentAuth, createInternalAuth, type JwtAlgorithm } from './auth';
import { registerErrorHandling } from './errors';
import { FaultInjector, registerFaultHooks, registerFaultRoutes } from './faults';
import { IdempotencyStore } from './idempotency';
import { registerAgentRoutes } from './routes-agent';
import { registerInternalRoutes } from './routes-internal';
import { Store } from './store';

export interface MissionControlLiteOptions {
  /** AGENT_JWT_SECRET: the HMAC secret the runtime signs agent tokens with. */
  jwtSecret: string;
  /** Tokens must use exactly this algorithm; default HS256. */
  jwtAlgorithm?: JwtAlgorithm;
  /** INTERNAL_API_TOKEN: the secret the dispatcher sends as X-Internal-Token. */
  internalToken: string;
  /** Fastify logger option; default false (quiet tests). */
  logger?: boolean | object;
}

const ALGORITHMS: readonly JwtAlgorithm[] = ['HS256', 'HS384', 'HS512'];

export async function buildMissionControlLite(opts: MissionControlLiteOptions): Promise<FastifyInstance> {
  if (!opts.jwtSecret) {
    throw new Error(
      'buildMissionControlLite: jwtSecret is empty; pass the AGENT_JWT_SECRET the runtime signs with',
    );
  }
  if (!opts.internalToken) {
    throw new Error(
      'buildMissionControlLite: internalToken is empty; pass the INTERNAL_API_TOKEN the dispatcher sends',
    );
  }
  const algorithm = opts.jwtAlgorithm ?? 'HS256';
  if (!ALGORITHMS.includes(algorithm)) {
    throw new Error(
      `buildMissionControlLite: jwtAlgorithm must be one of ${ALGORITHMS.join(', ')}, got '${algorithm}'`,
    );
  }

  const app = Fastify({ logger: (opts.logger ?? false) as FastifyServerOptions['logger'] });
  registerErrorHandling(app);

  const faults = new FaultInjector();
  registerFaultHooks(app, faults);

  const store = new Store();
  const idempotency = new IdempotencyStore();
  const agentAuth = createAgentAuth(opts.jwtSecret, algorithm);
  const internalAuth = createInternalAuth(opts.internalToken);

  app.get('/health', async () => ({ status: 'ok' }));
  registerAgentRoutes(app, { store, idempotency, agentAuth });
  registerInternalRoutes(app, { store, idempotency, internalAuth });
  registerFaultRoutes(app, faults, internalAuth);

  await app.ready();
  return app;
}
