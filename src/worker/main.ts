/** Worker process entry: connect, run until SIGTERM/SIGINT (the SDK drains in-flight work), exit. */
import fs from 'node:fs';
import path from 'node:path';
import { Runtime } from '@temporalio/worker';
import { loadConfigOrExit } from '../config';
import { connectTemporalWorker, describeTemporalTarget } from '../clients/temporal/connection';
import { ensureSchedulesAtStart } from '../schedules/ensure';
import { createClasperWorker } from './worker';

async function main(): Promise<void> {
  const config = loadConfigOrExit(['AGENT_JWT_SECRET']);
  const { metricsPort } = config.worker;
  Runtime.install({
    shutdownSignals: ['SIGINT', 'SIGTERM'],
    // Temporal's worker metrics plus ours (activities/metrics.ts), for Prometheus at :<port>/metrics.
    ...(metricsPort > 0
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: `0.0.0.0:${metricsPort}` } } } }
      : {}),
  });
  const connection = await connectTemporalWorker(config);
  try {
    const prebuilt = path.resolve(__dirname, '../../workflow-bundle.js');
    const worker = await createClasperWorker({
      config,
      connection,
      env: process.env,
      workflowBundlePath: fs.existsSync(prebuilt) ? prebuilt : undefined,
    });
    await ensureSchedulesAtStart(config, (line) => process.stdout.write(line));
    process.stdout.write(
      `clasper worker polling task queue '${config.temporal.taskQueue}' on ${describeTemporalTarget(config)}` +
        `${metricsPort > 0 ? `; metrics on :${metricsPort}/metrics` : ''}\n`,
    );
    await worker.run();
  } finally {
    await connection.close();
  }
}

main().catch((err) => {
  process.stderr.write(`clasper worker failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
