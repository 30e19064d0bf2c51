/**
 * The Fastify app factory. `buildApp(deps)` wires schemas, auth, errors and routes and returns the
 * instance without listening, so tests call it with their own config and Temporal client.
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import { registerDaemonKeyAuth } from './auth';
import { registerErrorHandlers } from './error-handler';
import { agentRoutes } from './routes/agents';
import { healthRoutes } from './routes/health';
import { TurnService } from './turns';

export interface AppDeps {
  config: Config;
  client: Client;
  logger?: FastifyServerOptions['logger'];
}

export async function buildApp({ config, client, logger = false }: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger,
    bodyLimit: config.server.bodyLimitBytes,
    genReqId: () => crypto.randomUUID(),
    requestIdHeader: 'x-request-id',
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandlers(app);
  registerDaemonKeyAuth(app, config.server.daemonApiKey);

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
  await app.register(healthRoutes, { config, client });
  await app.register(agentRoutes, { config, turns });
  return app;
}
