/**
 * Builds the Clasper worker: our workflows and the activities over real clients, on the
 * configured task queue. Shared by the worker process, `make dev` and the tests.
 */
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Config } from '../config';
import { createActivities } from '../activities';
import { temporalDataConverter } from '../clients/temporal/connection';
import { heartbeatWhileRunning } from './activity-heartbeat';
import { workerTracing } from './tracing';
import { WORKFLOW_INTERCEPTOR_MODULES, WORKFLOWS_PATH } from './workflow-bundle';

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
  const tracing = await workerTracing();
  // Activities run only while the worker is RUNNING; any later state means a shutdown began.
  const isStopping = () => !['INITIALIZED', 'RUNNING'].includes(worker.getState());
  const worker: Worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    dataConverter: temporalDataConverter(config),
    taskQueue: opts.taskQueue ?? config.temporal.taskQueue,
    activities: createActivities({ config, env: opts.env, isStopping }),
    // A killed worker is noticed within the activities' heartbeatTimeout, not their start-to-close.
    interceptors: {
      activity: [...tracing.activity, heartbeatWhileRunning],
      // A prebuilt bundle has them inside already (workflow-bundle.ts).
      ...(opts.workflowBundlePath ? {} : { workflowModules: WORKFLOW_INTERCEPTOR_MODULES }),
    },
    sinks: tracing.sinks,
    ...(opts.workflowBundlePath
      ? { workflowBundle: { codePath: opts.workflowBundlePath } }
      : { workflowsPath: WORKFLOWS_PATH }),
    // Let in-flight activities (a model call, a reply post) finish on SIGTERM before exiting;
    // anything still running after this is retried by another worker.
    shutdownGraceTime: '30s',
    ...opts.tuning,
  });
  return worker;
}
