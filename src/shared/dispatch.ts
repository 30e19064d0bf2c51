/**
 * Shapes of notification dispatch (docs/architecture.md, "Dispatcher and NotificationTurn"),
 * shared by the fetch activity, the dispatcher and notificationTurn workflows, and the
 * `npm run dispatcher` script. Workflow-safe: types and constants only.
 */
import type { TimeoutSettings } from './timeouts';

/** A delivery that passed every check: safe to start a turn for. */
export interface NotificationDelivery {
  notificationId: string;
  userId: string;
  sessionKey: string;
  /** From the session key `user:<user_id>:<role>`. */
  role: string;
  content: string;
  taskId?: string;
  taskTitle?: string;
}

/** A delivery that was skipped: what we could read of it and why. Never acked, never fatal. */
export interface MalformedDelivery {
  notificationId?: string;
  userId?: string;
  reason: string;
}

/** What one poll of `GET …/dispatch/undelivered` yields, checked. */
export interface DispatchBatch {
  /** Deliveries the backend returned. */
  fetched: number;
  deliveries: NotificationDelivery[];
  malformed: MalformedDelivery[];
  /** Valid deliveries left for the next poll because this batch reached its size budget. */
  deferred: number;
  /** The worker's CLASPER_MAX_TOOL_ITERATIONS, so workflows never read env. */
  maxToolIterations: number;
}

/**
 * The dispatcher's input from its schedule: what one run covers. The run polls every `intervalSec`
 * until one interval before the schedule's next tick (every `windowSec`, on multiples of it since
 * the epoch), which starts the next run. `windowSec` ≤ `intervalSec`: one poll. Runs started
 * before windows had no window (one poll), and before that no input at all.
 */
export interface DispatcherInput {
  windowSec?: number;
  intervalSec?: number;
  /** The settings its notification turns' deadlines derive from (workflows cannot read config). */
  timeouts?: TimeoutSettings;
}

/**
 * How long one poll may take with its retries (the fetch activity's schedule-to-close): a backend
 * that does not answer within it fails that poll visibly; the next interval polls again.
 */
export const DISPATCH_POLL_BUDGET_SEC = 120;

/**
 * The dispatcher's result, summed over the polls that handed deliveries back:
 * fetched = started + alreadyHandled + malformed + deferred. `polls` counts every poll of the run,
 * the idle ones included (they leave no trace in history).
 */
export interface DispatchResult {
  fetched: number;
  started: number;
  alreadyHandled: number;
  malformed: number;
  deferred: number;
  polls: number;
  /** The run's last poll (absent for runs begun before windows). */
  lastPoll?: DispatchPollStats;
}

/** Input of `awaitDeliveries`: poll until there is something to start, or the window is over. */
export interface AwaitDeliveriesInput {
  /** Epoch ms after which no poll starts; at or before the first poll: exactly one poll. */
  windowEndMs: number;
  intervalMs: number;
  /** Epoch ms of the first poll (one interval after the previous one); at once when absent. */
  notBeforeMs?: number;
  /**
   * Notifications this run has started turns for. While the backend still lists them (their turn
   * is running, not yet acked) they are counted as in flight instead of handed back every poll.
   */
  inFlight: string[];
}

/** Dispatch lag as the last poll saw it: in the activity's heartbeat details and its result. */
export interface DispatchPollStats {
  /** Polls made by this activity so far. */
  polls: number;
  /** ISO time of the last poll. */
  lastPollAt: string;
  /** New deliveries the last poll found. */
  lastPollDeliveries: number;
  /**
   * Age of the oldest notification the last poll listed (the backend's `created_at`, else when
   * this worker first saw it); null when it listed none.
   */
  oldestUndeliveredAgeSec: number | null;
}

/** What `awaitDeliveries` hands back: the last poll's batch (in-flight ones taken out) and why it ended. */
export interface AwaitedBatch extends DispatchBatch {
  /** Notifications of `inFlight` the last poll still listed. */
  stillInFlight: string[];
  stats: DispatchPollStats;
  /** `deliveries`: something to start; `window`: no poll fits any more; `stopping`: the worker shuts down. */
  ended: 'deliveries' | 'window' | 'stopping';
}

export interface NotificationTurnInput {
  delivery: NotificationDelivery;
  maxToolIterations: number;
  /** Config its child turn's deadline derives from; absent in runs started before it travelled. */
  timeouts?: TimeoutSettings;
}

export interface NotificationTurnResult {
  notification_id: string;
  turn_id: string;
  /** `already_started`: this run found its turn started before (e.g. after an operator reset). */
  turn: 'completed' | 'already_started';
  task_id?: string;
  posted?: boolean;
  /** False only when the backend no longer knows the notification (404 on ack). */
  acked: boolean;
}

/** Same cap as `POST /api/agents/send`'s message: a notification is one user message. */
export const MAX_NOTIFICATION_CHARS = 100_000;

/**
 * Content characters one dispatch may carry. Every delivery travels in the fetch activity's result
 * and again as a child's input in one workflow task (gRPC message cap 4 MB); 500k UTF-16 units are
 * at most 1.5 MB of UTF-8, so a batch always fits. The rest stay undelivered for the next poll.
 */
export const MAX_DISPATCH_BATCH_CHARS = 500_000;
