/** Worker process entry: connect, run until SIGTERM/SIGINT (the SDK drains in-flight work), exit. */
import fs from 'node:fs';
import path from 'node:path';
import { Runtime } from '@temporalio/worker';
import { loadConfigOrExit, type Config } from '../config';
import {
  connectTemporalClient,
  connectTemporalWorker,
  describeTemporalTarget,
} from '../clients/temporal/connection';
import { describeTracing, startTracing } from '../clients/tracing';
import { checkSearchAttributes, searchAttributeProblem } from '../clients/temporal/search-attributes';
import { payloadProtection } from '../clients/temporal/payload-codec';
import { ensureSchedulesAtStart } from '../schedules/ensure';
import { createClasperWorker } from './worker';
import { watchWorkflowTasks, type WorkflowTaskWatch } from './workflow-task-watch';

async function main(): Promise<void> {
  const config = loadConfigOrExit(['AGENT_JWT_SECRET']);
  const { metricsPort, metricsHost } = config.worker;
  const metricsAddress = `${metricsHost.includes(':') ? `[${metricsHost}]` : metricsHost}:${metricsPort}`;
  installRuntime(metricsPort, metricsAddress);
  // Before the worker is built: its activities and sinks add their tracing parts only when it runs.
  const tracing = await startTracing(config.tracing, 'clasper-worker');
  const connection = await connectTemporalWorker(config);
  try {
    await checkSearchAttributesAtStart(config);
    const prebuilt = path.resolve(__dirname, '../../workflow-bundle.js');
    const worker = await createClasperWorker({
      config,
      connection,
      env: process.env,
      workflowBundlePath: fs.existsSync(prebuilt) ? prebuilt : undefined,
    });
    await ensureSchedulesAtStart(config, (line) => process.stdout.write(line));
    const protection = payloadProtection(config);
    process.stdout.write(protection.warning ? `warning: ${protection.warning}\n` : `${protection.line}\n`);
    process.stdout.write(
      `clasper worker polling task queue '${config.temporal.taskQueue}' on ${describeTemporalTarget(config)}` +
        `${metricsPort > 0 ? `; metrics on ${metricsAddress}/metrics` : ''}` +
        `${tracing ? `; ${describeTracing(config.tracing)}` : ''}\n`,
    );
    const watch = metricsPort > 0 ? await startWorkflowTaskWatch(config) : undefined;
    try {
      await worker.run();
    } finally {
      await watch?.stop();
    }
  } finally {
    await connection.close();
    await tracing?.shutdown();
  }
}

/** The stuck-workflow gauge on the metrics endpoint (workflow-task-watch.ts), on its own client. */
async function startWorkflowTaskWatch(config: Config): Promise<{ stop(): Promise<void> }> {
  const { client, close } = await connectTemporalClient(config);
  const watch: WorkflowTaskWatch = watchWorkflowTasks({
    client,
    taskQueue: config.temporal.taskQueue,
    meter: Runtime.instance().metricMeter,
    onError: (message) => process.stderr.write(`clasper worker: ${message}\n`),
  });
  return {
    async stop() {
      watch.stop();
      await close();
    },
  };
}

/** Temporal's runtime, with its Prometheus endpoint unless the port is 0. */
function installRuntime(metricsPort: number, bindAddress: string): void {
  try {
    Runtime.install({
      shutdownSignals: ['SIGINT', 'SIGTERM'],
      // Temporal's worker metrics plus ours (activities/metrics.ts), for Prometheus at :<port>/metrics.
      ...(metricsPort > 0 ? { telemetryOptions: { metrics: { prometheus: { bindAddress } } } } : {}),
    });
  } catch (err) {
    if (/in use/i.test(err instanceof Error ? err.message : String(err)))
      throw new Error(
        `CLASPER_WORKER_METRICS_PORT ${metricsPort} is already in use (another worker on this host?): ` +
          'give each worker its own port, or set it to 0 to turn the metrics endpoint off',
      );
    throw err;
  }
}

/**
 * Every search attribute a turn upserts must exist in the namespace: without one, each turn's last
 * workflow task fails and retries forever, so the worker refuses to start instead.
 */
async function checkSearchAttributesAtStart(config: Config): Promise<void> {
  const { client: _client, connection, close } = await connectTemporalClient(config);
  try {
    const { namespace } = config.temporal;
    const problem = searchAttributeProblem(await checkSearchAttributes(connection, namespace), namespace);
    if (problem) throw new Error(problem);
  } finally {
    await close();
  }
}

main().catch((err) => {
  process.stderr.write(`clasper worker failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
