/**
 * Activities of the scheduled workflows (DESIGN §3): notification dispatch (poll, ack), heartbeat
 * (checklist, backend ping) and standup (all tasks, the document, backend call). Thin adapters over
 * the one Mission Control client and the workspace; results carry ids and short text only.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Config } from '../config';
import type {
  AwaitDeliveriesInput,
  AwaitedBatch,
  DispatchBatch,
  DispatchPollStats,
} from '../shared/dispatch';
import { isFailureOfType } from '../shared/failures';
import { MAX_STANDUP_TASKS, tasksToReport, type StandupTask } from '../shared/standup';
import { planDispatchBatch, rawNotificationId, UndeliveredAges } from './deliveries';
import { recordDispatchPoll } from './metrics';
import {
  MissionControlError,
  type AgentIdentity,
  type MissionControlClient,
} from '../clients/mission-control';
import type { Workspace } from '../clients/workspace';
import { activitySleep, callOptions, heartbeat } from './context';

export interface ScheduleActivityDeps {
  config: Config;
  missionControl: MissionControlClient;
  workspace: Workspace;
  /** True once the worker has begun to shut down: a waiting dispatch poll hands back at once. */
  isStopping?: () => boolean;
}

/**
 * Activities that heartbeat themselves, with details (the worker's generic heartbeat would
 * overwrite them with none): `awaitDeliveries` reports the dispatch lag this way.
 */
export const SELF_HEARTBEATING_ACTIVITIES: ReadonlySet<string> = new Set(['awaitDeliveries']);
/** Well inside HEARTBEAT_TIMEOUT (10 s), as the worker's generic heartbeat. */
const DISPATCH_HEARTBEAT_EVERY_MS = 2_000;
/** A waiting poll looks at the worker's state this often, so a shutdown is not held up. */
const STOP_CHECK_EVERY_MS = 500;

export interface AckDeliveryInput {
  notificationId: string;
  userId: string;
}

export interface PostDocumentInput extends AgentIdentity {
  taskId: string;
  title: string;
  content: string;
  docType: string;
  idempotencyKey: string;
}

export interface BackendFeatures {
  heartbeat: boolean;
  standup: boolean;
}

/** Ack failures that an operator can fix while the ack keeps retrying (a token, a setting). */
const HEALABLE_ACK_FAILURES = new Set<string>([
  MissionControlError.Unauthorized,
  MissionControlError.Forbidden,
  MissionControlError.NotConfigured,
]);

const MAX_TASK_DESCRIPTION_CHARS = 500;

export function createScheduleActivities({
  config,
  missionControl: mc,
  workspace,
  isStopping = () => false,
}: ScheduleActivityDeps) {
  const ages = new UndeliveredAges();
  const limits = {
    limitUsers: config.dispatch.limitUsers,
    limitNotifications: config.dispatch.limitNotifications,
  };

  /** Waits until `atMs`; false when the worker began to stop meanwhile. Cancellation throws. */
  async function waitUntil(atMs: number): Promise<boolean> {
    for (;;) {
      if (isStopping()) return false;
      const left = atMs - Date.now();
      if (left <= 0) return true;
      await activitySleep(Math.min(left, STOP_CHECK_EVERY_MS));
    }
  }

  return {
    /** One poll of undelivered notifications, each delivery checked on its own. */
    async fetchDeliveries(): Promise<DispatchBatch> {
      const raw = await mc.undeliveredRaw(limits, callOptions());
      const plan = planDispatchBatch(raw);
      return { fetched: raw.length, ...plan, maxToolIterations: config.agent.maxToolIterations };
    },

    /**
     * Polls every `intervalMs` until a poll finds a delivery this run has not started yet, or no
     * further poll fits before `windowEndMs`, and hands back that last poll. The idle polls in
     * between add nothing to the workflow's history: they live in this activity, reported in its
     * heartbeat details and the worker's dispatch metrics. A failed poll fails the attempt, which
     * is retried (the window end stays); a shutting-down worker hands back at once.
     */
    async awaitDeliveries(input: AwaitDeliveriesInput): Promise<AwaitedBatch> {
      const inFlight = new Set(input.inFlight);
      let stats: DispatchPollStats | undefined;
      const beat = setInterval(() => heartbeat(stats), DISPATCH_HEARTBEAT_EVERY_MS);
      heartbeat(stats);
      try {
        let pollAt = input.notBeforeMs ?? Date.now();
        for (let polls = 1; ; polls++) {
          const started = (await waitUntil(pollAt)) ? Date.now() : undefined;
          if (started === undefined) return stoppingBatch(stats, input.inFlight);
          const raw = await mc.undeliveredRaw(limits, callOptions());
          const stillInFlight: string[] = [];
          const fresh = raw.filter((item) => {
            const id = rawNotificationId(item);
            if (id === undefined || !inFlight.has(id)) return true;
            stillInFlight.push(id);
            return false;
          });
          const plan = planDispatchBatch(fresh);
          stats = {
            polls,
            lastPollAt: new Date(started).toISOString(),
            lastPollDeliveries: plan.deliveries.length,
            oldestUndeliveredAgeSec: ages.observe(raw, Date.now()),
          };
          recordDispatchPoll(stats);
          heartbeat(stats);
          const batch = {
            fetched: raw.length,
            ...plan,
            stillInFlight,
            maxToolIterations: config.agent.maxToolIterations,
            stats,
          };
          if (plan.deliveries.length > 0) return { ...batch, ended: 'deliveries' };
          pollAt = started + input.intervalMs;
          if (pollAt > input.windowEndMs) return { ...batch, ended: 'window' };
        }
      } finally {
        clearInterval(beat);
      }

      function stoppingBatch(last: DispatchPollStats | undefined, stillInFlight: string[]): AwaitedBatch {
        return {
          fetched: 0,
          deliveries: [],
          malformed: [],
          deferred: 0,
          stillInFlight,
          maxToolIterations: config.agent.maxToolIterations,
          stats: last ?? {
            polls: 0,
            lastPollAt: new Date().toISOString(),
            lastPollDeliveries: 0,
            oldestUndeliveredAgeSec: null,
          },
          ended: 'stopping',
        };
      }
    },

    /**
     * Marks a notification delivered. 404 means the backend no longer knows it: nothing left to
     * ack. A rejected token is made retryable here, because the reply is already posted and the
     * ack must land once an operator fixes INTERNAL_API_TOKEN, not be dropped.
     */
    async ackDelivery(input: AckDeliveryInput): Promise<{ acked: boolean }> {
      try {
        await mc.ackNotification(input.notificationId, input.userId, callOptions());
        return { acked: true };
      } catch (err) {
        if (isFailureOfType(err, MissionControlError.NotFound)) return { acked: false };
        if (
          err instanceof ApplicationFailure &&
          err.nonRetryable &&
          HEALABLE_ACK_FAILURES.has(err.type ?? '')
        ) {
          throw ApplicationFailure.create({
            message: err.message,
            type: err.type ?? undefined,
            details: err.details ?? undefined,
            cause: err,
          });
        }
        throw err;
      }
    },

    /** HEARTBEAT.md (null when absent or blank) and the task heartbeat replies go on. */
    async prepareHeartbeat(): Promise<{
      checklist: string | null;
      taskTitle: string;
      maxToolIterations: number;
    }> {
      return {
        checklist: await workspace.readHeartbeat(),
        taskTitle: config.schedules.heartbeatTask,
        maxToolIterations: config.agent.maxToolIterations,
      };
    },

    /** Which optional endpoints the backend has; a backend without `capabilities` has none. */
    async backendFeatures(identity: AgentIdentity): Promise<BackendFeatures> {
      try {
        const caps = await mc.capabilities(identity, callOptions());
        return { heartbeat: caps.features.heartbeat, standup: caps.features.standup };
      } catch (err) {
        if (isFailureOfType(err, MissionControlError.NotFound)) return { heartbeat: false, standup: false };
        throw err;
      }
    },

    /** `POST /api/mission-control/heartbeat`; its answer is the backend's business, not history's. */
    async postHeartbeat(identity: AgentIdentity): Promise<void> {
      await mc.heartbeat(identity, callOptions());
    },

    async postStandup(input: AgentIdentity & { timezone: string }): Promise<void> {
      await mc.standup({ userId: input.userId, role: input.role }, input.timezone, callOptions());
    },

    /**
     * Every task of the user (all pages) but the standup's own, in short plain fields; at most
     * MAX_STANDUP_TASKS travel back so history stays small, `total` says how many there were.
     */
    async listUserTasks(identity: AgentIdentity): Promise<{ tasks: StandupTask[]; total: number }> {
      const all = await mc.listAllTasks(identity, callOptions());
      const mine = tasksToReport(
        all.map((t) => ({
          id: String(t.id),
          title: t.title,
          status: t.status ?? '',
          ...(t.description ? { description: t.description.slice(0, MAX_TASK_DESCRIPTION_CHARS) } : {}),
        })),
      );
      return { tasks: mine.slice(0, MAX_STANDUP_TASKS), total: mine.length };
    },

    async postDocument(input: PostDocumentInput): Promise<{ documentId: string }> {
      const doc = await mc.createDocument(
        { userId: input.userId, role: input.role },
        { task_id: input.taskId, title: input.title, content: input.content, doc_type: input.docType },
        input.idempotencyKey,
        callOptions(),
      );
      return { documentId: String(doc.id) };
    },
  };
}
