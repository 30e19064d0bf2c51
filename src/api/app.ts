/**
 * The Fastify app factory. `buildApp(deps)` wires schemas, auth, errors and routes and returns the
 * instance without listening, so tests call it with their own config and Temporal client.
 */
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import { MissionControlClient } from '../clients/mission-control';
import { payloadCodec } from '../clients/temporal/connection';
import type { Workspace } from '../clients/workspace';
import { registerDaemonKeyAuth } from './auth';
import { registerBodyDepthLimit } from './body-depth';
import { registerErrorHandlers } from './error-handler';
import { createApiMetrics, registerRequestMetrics, type ApiMetrics } from './metrics';
import { TurnRateLimiter } from './rate-limit';
import { REQUEST_ID_LOG_LABEL, registerRequestIdEcho, requestIdFrom } from './request-id';
import { agentRoutes } from './routes/agents';
import { budgetRoutes } from './routes/budgets';
import { codecRoutes } from './routes/codec';
import { controlRoutes } from './routes/control';
import { healthRoutes } from './routes/health';
import { introspectionRoutes } from './routes/introspection';
import { metricsRoutes } from './routes/metrics';
import { scheduleRoutes } from './routes/schedules';
import { compactRoutes } from './routes/compact';
import { llmTaskRoutes } from './routes/llm-task';
import { streamRoutes } from './routes/stream';
import { registerRequestTracing, tracingChildLoggerFactory } from './tracing';
import { TurnControlService } from './turn-control';
import { BudgetService } from './budgets';
import { SessionService } from './sessions';
import { TurnService } from './turns';

export interface AppDeps {
  config: Config;
  client: Client;
  /** The workspace /context, /skills and /boot read (main.ts builds it from Config.agent). */
  workspace: Workspace;
  logger?: FastifyServerOptions['logger'];
  /** Prometheus registry and counters; a fresh one per app when omitted. */
  metrics?: ApiMetrics;
  /** For the deep health check; built from Config.backend when omitted. */
  missionControl?: MissionControlClient;
  /** The dispatcher schedule the deep health check reads; tests use their own. */
  dispatcherScheduleId?: string;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, client, workspace, logger = false } = deps;
  const metrics = deps.metrics ?? createApiMetrics();
  const missionControl = deps.missionControl ?? new MissionControlClient(config.backend);
  const app = Fastify({
    logger,
    bodyLimit: config.server.bodyLimitBytes,
    genReqId: (req) => requestIdFrom(req.headers),
    requestIdHeader: false,
    logController: new LogController({ requestIdLogLabel: REQUEST_ID_LOG_LABEL }),
    childLoggerFactory: tracingChildLoggerFactory(),
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandlers(app);
  registerRequestIdEcho(app);
  registerRequestTracing(app);
  registerRequestMetrics(app, metrics);
  registerDaemonKeyAuth(app, config.server.daemonApiKey);
  registerBodyDepthLimit(app);
  const limiter = await TurnRateLimiter.register(app, {
    perUserPerMinute: config.server.rateLimitPerMinute,
    perCallerPerMinute: config.server.rateLimitPerCallerPerMinute,
    authenticated: config.server.daemonApiKey !== undefined,
  });

  await app.register(swagger, {
    openapi: {
      info: { title: 'Clasper on Temporal', description: 'Durable agent runtime API', version: '0.1.0' },
      components: {
        securitySchemes: { daemonKey: { type: 'apiKey', in: 'header', name: 'X-Agent-Daemon-Key' } },
      },
      security: config.server.daemonApiKey ? [{ daemonKey: [] }] : [],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  const turns = new TurnService(client, config);
  const sessions = new SessionService(client, config, turns);
  const budgets = new BudgetService(client, config);
  const control = new TurnControlService(client, missionControl);
  await app.register(controlRoutes, { control });
  // POST send and POST stream start the same turns, under the same budgets (one limiter).
  const turnRoute = () => ({ config, turns, sessions, budgets, control, metrics: metrics.turns, limiter });
  await app.register(healthRoutes, {
    config,
    client,
    missionControl,
    dispatcherScheduleId: deps.dispatcherScheduleId,
  });
  await app.register(agentRoutes, turnRoute());
  await app.register(introspectionRoutes, { workspace, client, budgets, llm: config.llm });
  await app.register(budgetRoutes, { budgets });
  await app.register(metricsRoutes, { metrics });
  await app.register(scheduleRoutes, { config, client });
  await app.register(streamRoutes, turnRoute());
  await app.register(compactRoutes, { config, turns, limiter });
  await app.register(llmTaskRoutes, { config, turns, limiter });
  await app.register(codecRoutes, { config, codec: payloadCodec(config) });
  return app;
}
