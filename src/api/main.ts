/** API process entry: parse config, connect to Temporal, listen; drain on SIGTERM/SIGINT. */
import { loadConfigOrExit } from '../config';
import { connectTemporalClient } from '../clients/temporal/connection';
import { describeTracing, startTracing } from '../clients/tracing';
import { createWorkspace } from '../clients/workspace';
import { buildApp } from './app';
import { createApiMetrics } from './metrics';
import { requestLogFields } from './routes/codec';

async function main(): Promise<void> {
  const config = loadConfigOrExit(['AGENT_JWT_SECRET']);
  // Before the Temporal client and the app, which add their tracing parts only when it runs.
  const tracing = await startTracing(config.tracing, 'clasper-api');
  const { client, close: closeTemporal } = await connectTemporalClient(config);
  // For GET /context, /skills, /boot: the same folder the workers read (gating uses this process's env).
  const workspace = createWorkspace({
    root: config.agent.workspace,
    env: process.env,
    defaultTimezone: config.agent.defaultTimezone,
    includeTimeContext: config.agent.includeTimeContext,
  });
  const app = await buildApp({
    config,
    client,
    workspace,
    metrics: createApiMetrics({ processMetrics: true }),
    // pino JSON lines; each request's lines carry request_id (and trace_id when tracing), turn lines also turn_id.
    // The Temporal UI's codec endpoint carries its token in the path: never into a log line.
    logger: {
      level: config.server.logLevel,
      serializers: { req: requestLogFields },
    },
  });

  if (tracing) app.log.info(describeTracing(config.tracing));

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    await app.close();
    await closeTemporal();
    await tracing?.shutdown();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  await app.listen({ port: config.server.port, host: config.server.host });
}

main().catch((err) => {
  process.stderr.write(`clasper api failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
