/** GET /health: liveness without secrets or paths; `?deep=true` also checks Temporal and the backend. */
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Client } from '@temporalio/client';
import type { Config } from '../../config';

const HealthSchema = z
  .object({
    status: z.enum(['ok', 'degraded']),
    temporal: z.object({ status: z.enum(['ok', 'error', 'unchecked']), error: z.string().optional() }),
    backend: z.object({ status: z.enum(['ok', 'error', 'unchecked']), error: z.string().optional() }),
  })
  .describe('Health');

export const healthRoutes: FastifyPluginAsyncZod<{ config: Config; client: Client }> = async (app, { config, client }) => {
  app.get(
    '/health',
    {
      schema: {
        tags: ['operations'],
        summary: 'Liveness; deep=true also checks Temporal and the backend',
        querystring: z.object({ deep: z.enum(['true', 'false']).default('false') }),
        response: { 200: HealthSchema },
      },
    },
    async (request) => {
      if (request.query.deep !== 'true') {
        return { status: 'ok' as const, temporal: { status: 'unchecked' as const }, backend: { status: 'unchecked' as const } };
      }
      const [temporal, backend] = await Promise.all([checkTemporal(client, config), checkBackend(config)]);
      const status = temporal.status === 'ok' && backend.status === 'ok' ? ('ok' as const) : ('degraded' as const);
      return { status, temporal, backend };
    },
  );
};

type Check = { status: 'ok' | 'error'; error?: string };

async function checkTemporal(client: Client, config: Config): Promise<Check> {
  try {
    await client.withDeadline(Date.now() + 5000, () =>
      client.workflowService.describeNamespace({ namespace: config.temporal.namespace }),
    );
    return { status: 'ok' };
  } catch (err) {
    return { status: 'error', error: `Temporal namespace '${config.temporal.namespace}' not reachable: ${(err as Error).message}` };
  }
}

async function checkBackend(config: Config): Promise<Check> {
  try {
    const res = await fetch(`${config.backend.url}/health`, { signal: AbortSignal.timeout(5000) });
    return res.ok ? { status: 'ok' } : { status: 'error', error: `backend /health answered ${res.status}` };
  } catch (err) {
    return { status: 'error', error: `backend not reachable: ${(err as Error).message}` };
  }
}
