/**
 * A Clasper worker as its own OS process, for the scenarios that kill it with SIGKILL. It is the
 * production worker (`createClasperWorker`, real activities over HTTP) with two test conveniences:
 * the workflow bundle prebuilt once by the caller (CLASPER_TEST_WORKFLOW_BUNDLE) so a restart
 * takes about a second, and INFO logs on stdout so the parent can scan every line for secrets.
 *
 *   node --import ./node_modules/tsx/dist/loader.mjs test/reliability/lib/worker-process.ts
 *
 * Configured entirely by the environment (the same variables as `npm run worker`). Prints
 * `WORKER READY` once it polls. No signal handlers: the scenarios end it with SIGKILL.
 */
import { DefaultLogger, NativeConnection, Runtime, type LogLevel } from '@temporalio/worker';
import { loadConfigOrExit } from '../../../src/config';
import { createClasperWorker } from '../../../src/worker/worker';

async function main(): Promise<void> {
  const config = loadConfigOrExit(['AGENT_JWT_SECRET']);
  const bundle = process.env.CLASPER_TEST_WORKFLOW_BUNDLE;
  if (!bundle) throw new Error('CLASPER_TEST_WORKFLOW_BUNDLE must name a prebuilt workflow bundle');
  const level = (process.env.CLASPER_TEST_WORKER_LOG_LEVEL ?? 'INFO') as LogLevel;
  Runtime.install({
    logger: new DefaultLogger(level, (entry) => {
      process.stdout.write(`${entry.level} ${entry.message} ${JSON.stringify(entry.meta ?? {})}\n`);
    }),
    shutdownSignals: [],
  });
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const worker = await createClasperWorker({
    config,
    connection,
    env: process.env,
    workflowBundlePath: bundle,
  });
  process.stdout.write(`WORKER READY pid=${process.pid} queue=${config.temporal.taskQueue}\n`);
  await worker.run();
}

main().catch((err: unknown) => {
  process.stderr.write(
    `worker-process failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
