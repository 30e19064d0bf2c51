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

/** The dispatcher workflow's result: fetched = started + alreadyHandled + malformed + deferred. */
export interface DispatchResult {
  fetched: number;
  started: number;
  alreadyHandled: number;
  malformed: number;
  deferred: number;
}

export interface NotificationTurnInput {
  delivery: NotificationDelivery;
  maxToolIterations: number;
  /** Config its child turn's deadline derives from; absent in runs started before it travelled. */
  timeouts?: TimeoutSettings;
}

/** The dispatcher's input from its schedule; runs started before it had none. */
export interface DispatcherInput {
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
