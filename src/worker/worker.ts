/**
 * Builds the Clasper worker: our workflows and the activities over real clients, on the
 * configured task queue. Shared by the worker process, `make dev` and the tests.
 */
import path from 'node:path';
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Config } from '../config';
import { createActivities } from '../activities';
import { temporalDataConverter } from '../clients/temporal/connection';
import { heartbeatWhileRunning } from './activity-heartbeat';

export interface ClasperWorkerOptions {
  config: Config;
  connection: NativeConnection;
  /** Process environment, for skill gating (`requires.env`, `requires.bins`). */
  env: Record<string, string | undefined>;
  /** Prebuilt bundle (production, tests); without it the workflows are bundled at start. */
  workflowBundlePath?: string;
  taskQueue?: string;
  /** Extra worker options (tuning profiles, shutdown grace time). */
  tuning?: Partial<WorkerOptions>;
}

export async function createClasperWorker(opts: ClasperWorkerOptions): Promise<Worker> {
  const { config, connection } = opts;
  return Worker.create({
    connection,
    namespace: config.temporal.namespace,
    dataConverter: temporalDataConverter(config),
    taskQueue: opts.taskQueue ?? config.temporal.taskQueue,
    activities: createActivities({ config, env: opts.env }),
    // A killed worker is noticed within the activities' heartbeatTimeout, not their start-to-close.
    interceptors: { activity: [heartbeatWhileRunning] },
    ...(opts.workflowBundlePath
      ? { workflowBundle: { codePath: opts.workflowBundlePath } }
      : { workflowsPath: path.join(__dirname, '../workflows/index.ts') }),
    // Let in-flight activities (a model call, a reply post) finish on SIGTERM before exiting;
    // anything still running after this is retried by another worker.
    shutdownGraceTime: '30s',
    ...opts.tuning,
  });
}
