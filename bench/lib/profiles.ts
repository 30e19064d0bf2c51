/**
 * What the system runs with: the Temporal server's dynamic config (temporal-server.ts says why)
 * and the worker's tuning profiles (JSON WorkerOptions handed to `createClasperWorker({ tuning })`
 * in the bench worker process). Every scenario uses SERVER_PROFILE and SCENARIO_PROFILE; the
 * tuning scenario measures the alternatives against the baseline in the same run.
 */
import { SERVER_DEFAULT, type ServerProfile } from './temporal-server';

/** As `make dev` runs it; the tuning scenario measures the unthrottled alternative beside it. */
export const SERVER_PROFILE: ServerProfile = SERVER_DEFAULT;

export interface Profile {
  name: string;
  /** What the change is and why it might help. */
  why: string;
  tuning: Record<string, unknown>;
}

export const SDK_DEFAULTS: Profile = {
  name: 'sdk-defaults',
  why: 'SDK 1.24 defaults: sticky queue with a heap-sized workflow cache, eager activity dispatch, 100 activity slots, up to 10 pollers per kind',
  tuning: {},
};

export const NO_STICKY: Profile = {
  name: 'no-workflow-cache',
  why: 'maxCachedWorkflows 0: no sticky queue, every workflow task replays the history from the start (what the cache buys)',
  tuning: { maxCachedWorkflows: 0, maxConcurrentWorkflowTaskExecutions: 2 },
};

export const OMES_THROUGHPUT: Profile = {
  name: 'omes-throughput',
  why: "temporalio/omes' TS throughput profile: cache 50, 8 workflow-task slots, 32 activity slots, 2 workflow and 4 activity pollers",
  tuning: {
    maxCachedWorkflows: 50,
    maxConcurrentWorkflowTaskExecutions: 8,
    maxConcurrentActivityTaskExecutions: 32,
    maxConcurrentLocalActivityExecutions: 32,
    maxConcurrentWorkflowTaskPolls: 2,
    maxConcurrentActivityTaskPolls: 4,
  },
};

/**
 * Measured by every bench run. OMES_THROUGHPUT was measured too and was within noise of the
 * defaults (bench/TUNING.md); it is kept here, out of the run, to keep the bench under 15 minutes.
 * NO_STICKY cannot run today's turn: without a workflow cache the SDK evicts the run after every
 * activation, which cancels its local activities (the turns answer 502 CANCELLED), so it is kept
 * out too.
 */
export const WORKER_PROFILES: Profile[] = [SDK_DEFAULTS];

/** The worker profile every scenario runs with. */
export const SCENARIO_PROFILE: Profile = SDK_DEFAULTS;
