/**
 * GET /health, the one route without the daemon key: liveness for load balancers. `?deep=true`
 * also checks Temporal (the namespace answers), the workers (someone polls our task queue) and the
 * backend (its /health, and capabilities speaking contract v1), says whether notification
 * dispatch runs and why not (`dispatcher`, schedules/dispatcher-state.ts), and reports the dispatch
 * lag the dispatcher last saw (`dispatch`, schedules/dispatch-lag.ts). Always 200; a failed check makes
 * the status `degraded` with a message saying what to fix. The deep answer is reused for
 * CLASPER_HEALTH_CACHE_SEC (concurrent probes share one round of checks), and needs the daemon key
 * when one is set (auth.ts).
 *
 * Being public, the body carries no secret, no path, no URL and no configuration values.
 */
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Client } from '@temporalio/client';
import type { Config } from '../../config';
import type { MissionControlClient } from '../../clients/mission-control';
import {
  checkSearchAttributes,
  operatorConnection,
  searchAttributeProblem,
} from '../../clients/temporal/search-attributes';
import { describePollers, POLLER_FRESH_MS, type Poller } from '../../clients/temporal/task-queue';
import {
  findWorkflowTaskProblems,
  ProblemsUnavailableError,
} from '../../clients/temporal/workflow-task-problems';
import { payloadProtection } from '../../clients/temporal/payload-codec';
import { describeDispatchLag } from '../../schedules/dispatch-lag';
import { dispatcherState } from '../../schedules/dispatcher-state';
import { DISPATCHER_SCHEDULE_ID } from '../../shared/ids';

/** Each check gives up after this long, so a deep health check answers within a load balancer's patience. */
const CHECK_TIMEOUT_MS = 5_000;
/** The contract version this runtime speaks (docs/contract.md). */
const CONTRACT_VERSION = 'v1';
/** Fixed, data-less identity for the capabilities call: the contract only defines agent calls. */
const HEALTH_IDENTITY = { userId: 'clasper-health', role: 'health' };

const CheckStatus = z.enum(['ok', 'error', 'unchecked']);

const HealthSchema = z
  .object({
    status: z.enum(['ok', 'degraded']),
    temporal: z.object({ status: CheckStatus, error: z.string().optional() }),
    worker: z.object({
      status: CheckStatus,
      pollers: z.number().int().optional().describe('Workers polling the task queue recently'),
      error: z.string().optional(),
    }),
    workflow_tasks: z
      .object({
        status: CheckStatus,
        failing: z
          .number()
          .int()
          .optional()
          .describe('Running workflows on the task queue whose workflow tasks keep failing'),
        by_cause: z.record(z.string(), z.number().int()).optional(),
        workflows: z
          .array(z.object({ workflow_id: z.string(), workflow_type: z.string(), cause: z.string() }))
          .optional()
          .describe('The first few of them'),
        error: z.string().optional(),
      })
      .describe("From Temporal's TemporalReportedProblems search attribute"),
    backend: z.object({
      status: CheckStatus,
      contract_version: z.string().optional(),
      features: z.record(z.string(), z.unknown()).optional(),
      error: z.string().optional(),
    }),
    dispatch: z
      .object({
        status: CheckStatus,
        last_poll_at: z.string().optional().describe('When the dispatcher last polled for notifications'),
        last_poll_deliveries: z.number().int().optional().describe('New deliveries that poll found'),
        oldest_undelivered_age_sec: z
          .number()
          .nullable()
          .optional()
          .describe('Age of the oldest undelivered notification that poll listed; null: none waiting'),
        interval_sec: z.number().int().optional(),
        error: z.string().optional(),
      })
      .describe('Dispatch lag; unchecked when there is no dispatcher schedule or it is paused'),
    warnings: z
      .array(z.string())
      .optional()
      .describe('Things that work but should not be so in production, e.g. payload encryption off'),
    dispatcher: z
      .object({
        state: z.enum(['active', 'paused', 'not_created', 'unknown']),
        reason: z.string().optional(),
      })
      .optional()
      .describe('Deep only: the notification dispatcher schedule, and why it does not run'),
  })
  .describe('Health');
type Health = z.infer<typeof HealthSchema>;

export interface HealthRoutesOptions {
  config: Config;
  client: Client;
  missionControl: MissionControlClient;
  /** Tests use their own; default `clasper-dispatcher`. */
  dispatcherScheduleId?: string;
}

export const healthRoutes: FastifyPluginAsyncZod<HealthRoutesOptions> = async (
  app,
  { config, client, missionControl, dispatcherScheduleId },
) => {
  let cached: { at: number; health: Promise<Health> } | undefined;
  app.get(
    '/health',
    {
      schema: {
        tags: ['operations'],
        summary: 'Liveness; deep=true also checks Temporal, the workers and the backend',
        querystring: z.object({ deep: z.enum(['true', 'false']).default('false') }),
        response: { 200: HealthSchema },
      },
    },
    async (request): Promise<Health> => {
      if (request.query.deep !== 'true') {
        const unchecked = { status: 'unchecked' as const };
        return {
          status: 'ok',
          temporal: unchecked,
          worker: unchecked,
          workflow_tasks: unchecked,
          backend: unchecked,
          dispatch: unchecked,
        };
      }
      const now = Date.now();
      if (!cached || now - cached.at > config.server.healthCacheSec * 1000) {
        cached = { at: now, health: deepHealth(client, config, missionControl, dispatcherScheduleId) };
      }
      return cached.health;
    },
  );
};

async function deepHealth(
  client: Client,
  config: Config,
  missionControl: MissionControlClient,
  dispatcherScheduleId: string | undefined,
): Promise<Health> {
  const [temporalCheck, worker, workflowTasks, backend, dispatch] = await Promise.all([
    checkTemporal(client, config),
    checkWorkers(client, config),
    checkWorkflowTasks(client, config),
    checkBackend(config, missionControl),
    checkDispatch(client, dispatcherScheduleId ?? DISPATCHER_SCHEDULE_ID),
  ]);
  // A server that cannot report failing workflow tasks leaves that check unchecked, not degraded.
  const dispatcher = await checkDispatcher(client, config, backend, dispatcherScheduleId);
  const allOk =
    [temporalCheck, worker, backend].every((c) => c.status === 'ok') &&
    workflowTasks.status !== 'error' &&
    dispatch.status !== 'error' &&
    !dispatcher.failing;
  const warning = payloadProtection(config).warning;
  return {
    status: allOk ? 'ok' : 'degraded',
    temporal: temporalCheck,
    worker,
    workflow_tasks: workflowTasks,
    backend,
    dispatch,
    dispatcher: { state: dispatcher.state, ...(dispatcher.reason ? { reason: dispatcher.reason } : {}) },
    ...(warning ? { warnings: [warning] } : {}),
  };
}

/** Read from the schedule's state and the capabilities just fetched; unknown when Temporal cannot say. */
async function checkDispatcher(
  client: Client,
  config: Config,
  backend: { status: string; features?: Record<string, unknown> },
  scheduleId: string | undefined,
): Promise<{ state: NonNullable<Health['dispatcher']>['state']; reason?: string; failing: boolean }> {
  try {
    return await dispatcherState(client, {
      dispatchOffered: backend.features ? backend.features.notifications_dispatch === true : undefined,
      internalTokenSet: config.backend.internalToken !== undefined,
      scheduleId,
      timeoutMs: CHECK_TIMEOUT_MS,
    });
  } catch (err) {
    // Temporal's own trouble is the temporal check's to report; this one only says it could not tell.
    return {
      state: 'unknown',
      reason: `could not describe the dispatcher schedule: ${reason(err)}`,
      failing: false,
    };
  }
}

/** The dispatcher's last poll: when, what it found, how old the oldest waiting notification is. */
async function checkDispatch(client: Client, scheduleId: string): Promise<Health['dispatch']> {
  try {
    const lag = await client.withDeadline(Date.now() + CHECK_TIMEOUT_MS, () =>
      describeDispatchLag(client, scheduleId),
    );
    if (lag.status === 'unchecked') return { status: 'unchecked' };
    const poll = lag.lastPoll;
    return {
      status: lag.status,
      interval_sec: lag.intervalSec,
      ...(poll
        ? {
            last_poll_at: poll.lastPollAt,
            last_poll_deliveries: poll.lastPollDeliveries,
            oldest_undelivered_age_sec: poll.oldestUndeliveredAgeSec,
          }
        : {}),
      ...(lag.error ? { error: lag.error } : {}),
    };
  } catch (err) {
    return { status: 'error', error: `could not read the dispatcher's state: ${reason(err)}` };
  }
}

type Check = { status: 'ok' | 'error'; error?: string };

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function checkTemporal(client: Client, config: Config): Promise<Check> {
  try {
    await client.withDeadline(Date.now() + CHECK_TIMEOUT_MS, () =>
      client.workflowService.describeNamespace({ namespace: config.temporal.namespace }),
    );
  } catch (err) {
    return {
      status: 'error',
      error: `Temporal namespace '${config.temporal.namespace}' not reachable: ${reason(err)}`,
    };
  }
  // A namespace without our search attributes fails every turn at its end: degraded, not ok.
  const connection = operatorConnection(client.connection);
  if (!connection) return { status: 'ok' };
  try {
    const { namespace } = config.temporal;
    const problem = searchAttributeProblem(
      await checkSearchAttributes(connection, namespace, CHECK_TIMEOUT_MS),
      namespace,
    );
    return problem ? { status: 'error', error: problem } : { status: 'ok' };
  } catch (err) {
    return { status: 'error', error: `could not list the namespace's search attributes: ${reason(err)}` };
  }
}

/** Counts workers by identity that polled both the workflow and the activity queue recently. */
async function checkWorkers(client: Client, config: Config): Promise<Check & { pollers?: number }> {
  const { namespace, taskQueue } = config.temporal;
  try {
    const queue = await describePollers(client, { namespace, taskQueue, timeoutMs: CHECK_TIMEOUT_MS });
    const cutoff = Date.now() - POLLER_FRESH_MS;
    const fresh = (pollers: Poller[]) =>
      new Set(pollers.filter((p) => p.lastAccessMs >= cutoff).map((p) => p.identity ?? ''));
    const workflowPollers = fresh(queue.workflow);
    const activityPollers = fresh(queue.activity);
    const pollers = new Set([...workflowPollers, ...activityPollers]).size;
    if (workflowPollers.size === 0 || activityPollers.size === 0) {
      return {
        status: 'error',
        pollers,
        error: `no worker is polling task queue '${taskQueue}': turns will wait until one starts (run the worker with CLASPER_TASK_QUEUE=${taskQueue})`,
      };
    }
    return { status: 'ok', pollers };
  } catch (err) {
    return { status: 'error', error: `could not describe task queue '${taskQueue}': ${reason(err)}` };
  }
}

/**
 * Workflows whose workflow tasks keep failing retry until their execution timeout: each one is a
 * turn (or schedule run) that is stuck now, so the check fails and names a few of them.
 */
async function checkWorkflowTasks(client: Client, config: Config): Promise<Health['workflow_tasks']> {
  const { taskQueue } = config.temporal;
  try {
    const found = await findWorkflowTaskProblems(client, { taskQueue, timeoutMs: CHECK_TIMEOUT_MS });
    if (found.count === 0) return { status: 'ok', failing: 0 };
    const causes = Object.entries(found.byCause)
      .map(([cause, n]) => `${cause} ${n}`)
      .join(', ');
    return {
      status: 'error',
      failing: found.count,
      by_cause: found.byCause,
      workflows: found.sample,
      error:
        `${found.count} workflow(s) on task queue '${taskQueue}' have workflow tasks failing on every attempt (${causes}): ` +
        'they retry until their execution timeout; a NonDeterministicError after a deploy is fixed by rolling back or patching, ' +
        'anything else needs a fix in the workflow code; then they continue (or reset them in the Temporal UI)',
    };
  } catch (err) {
    if (err instanceof ProblemsUnavailableError) return { status: 'unchecked', error: err.message };
    return { status: 'error', error: reason(err) };
  }
}

/** The backend's own /health, then capabilities through the Mission Control client (JWT and all). */
async function checkBackend(
  config: Config,
  missionControl: MissionControlClient,
): Promise<Check & { contract_version?: string; features?: Record<string, unknown> }> {
  try {
    const res = await fetch(`${config.backend.url}/health`, {
      signal: AbortSignal.timeout(CHECK_TIMEOUT_MS),
    });
    if (!res.ok) return { status: 'error', error: `backend /health answered ${res.status}` };
  } catch (err) {
    return { status: 'error', error: `backend /health not reachable: ${reason(err)}` };
  }
  try {
    const caps = await missionControl.capabilities(HEALTH_IDENTITY, {
      signal: AbortSignal.timeout(CHECK_TIMEOUT_MS),
    });
    const found = { contract_version: caps.contract_version, features: caps.features };
    if (caps.contract_version !== CONTRACT_VERSION) {
      return {
        status: 'error',
        ...found,
        error: `backend speaks contract '${caps.contract_version}', this runtime needs '${CONTRACT_VERSION}'`,
      };
    }
    return { status: 'ok', ...found };
  } catch (err) {
    return { status: 'error', error: `backend capabilities failed: ${reason(err)}` };
  }
}
