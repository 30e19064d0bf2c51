/**
 * A bench worker process: src/worker/main.ts plus what a benchmark needs, and nothing else.
 * It runs the same `createClasperWorker` on the prebuilt workflow bundle (BENCH_WORKFLOW_BUNDLE,
 * so start-up and RSS carry no webpack), applies a tuning profile (BENCH_WORKER_TUNING, JSON
 * WorkerOptions), and answers event-loop lag requests over IPC (`{type:'lag'}`, `{type:'lag-reset'}`).
 */
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { loadConfigOrExit } from '../../src/config';
import { startTracing } from '../../src/clients/tracing';
import { createClasperWorker } from '../../src/worker/worker';
import { createLagMonitor, summariseLag } from './proc';

async function main(): Promise<void> {
  const config = loadConfigOrExit(['AGENT_JWT_SECRET']);
  Runtime.install({
    logger: new DefaultLogger((process.env.BENCH_SDK_LOG_LEVEL as 'WARN' | undefined) ?? 'WARN'),
    shutdownSignals: ['SIGINT', 'SIGTERM'],
  });
  // As src/worker/main.ts: before the worker is built, off unless OTEL_EXPORTER_OTLP_ENDPOINT is set.
  const tracing = await startTracing(config.tracing, 'clasper-worker');
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  try {
    const worker = await createClasperWorker({
      config,
      connection,
      env: {},
      workflowBundlePath: process.env.BENCH_WORKFLOW_BUNDLE || undefined,
      // Nothing is in flight when the bench stops a worker; do not wait 30 s for it.
      tuning: { shutdownGraceTime: '2s', ...(JSON.parse(process.env.BENCH_WORKER_TUNING || '{}') as object) },
    });
    const lag = createLagMonitor();
    process.on('message', (m: { type?: string }) => {
      if (m?.type === 'lag-reset') lag.reset();
      if (m?.type === 'lag') process.send?.({ type: 'lag', ...summariseLag(lag) });
    });
    const running = worker.run();
    process.send?.({ type: 'ready' });
    await running;
  } finally {
    await connection.close();
    await tracing?.shutdown();
  }
}

main().then(
  // The IPC channel would keep the process alive after the worker has drained.
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench worker failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
