/**
 * GET /metrics: the API's Prometheus metrics. Deliberately behind the daemon key like every route
 * but /health (the hook in auth.ts covers it; route names and traffic are not for the public):
 * configure the scraper to send `X-Agent-Daemon-Key` (Prometheus: `http_headers` in the scrape config).
 */
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ApiMetrics } from '../metrics';
import { errorResponses } from '../schemas/common';

export const metricsRoutes: FastifyPluginAsyncZod<{ metrics: ApiMetrics }> = async (app, { metrics }) => {
  app.get(
    '/metrics',
    {
      schema: {
        tags: ['operations'],
        summary: 'Prometheus metrics of this API process (text exposition format)',
        response: {
          200: {
            description: 'Prometheus text format',
            content: { 'text/plain': { schema: z.string() } },
          },
          401: errorResponses[401],
          403: errorResponses[403],
        },
      },
    },
    async (_request, reply) => {
      const body = await metrics.registry.metrics();
      return reply.type(metrics.registry.contentType).send(body);
    },
  );
};
