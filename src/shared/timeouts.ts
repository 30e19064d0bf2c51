/**
 * The execution timeout of every workflow type (docs/architecture.md, "Bounded by construction"):
 * nothing Clasper starts runs forever, not even a run whose workflow tasks fail on every attempt.
 * Each bound is the longest legitimate run of its type plus room, derived from config by whoever
 * starts the workflow; a workflow that starts a child hands the settings on in the child's input.
 *
 * Workflow-safe: pure arithmetic, imported by workflows, API, schedules and scripts alike.
 */
import { DEFAULT_TURN_LIMITS, DEFAULT_TURN_TIMEOUT_SEC } from './turn';
import type { WorkflowType } from './workflow-types';

export interface TimeoutSettings {
  /** CLASPER_TURN_TIMEOUT_SEC: a turn's own work (model and tool calls, their retries). */
  turnTimeoutSec: number;
  /** CLASPER_APPROVAL_TIMEOUT_SEC: how long one tool call may wait for a person. */
  approvalTimeoutSec: number;
  /** CLASPER_MAX_TOOL_ITERATIONS: model steps per turn; each step may wait for approvals once. */
  maxToolIterations: number;
  /** DISPATCH_TIMEOUT_SEC: one dispatcher poll (fetch, start the children). */
  dispatchTimeoutSec: number;
}

/** The defaults of the settings above, for runs started before the settings travelled in inputs. */
export const DEFAULT_TIMEOUT_SETTINGS: TimeoutSettings = {
  turnTimeoutSec: DEFAULT_TURN_TIMEOUT_SEC,
  approvalTimeoutSec: DEFAULT_TURN_LIMITS.approvalTimeoutSec,
  maxToolIterations: 8,
  dispatchTimeoutSec: 5 * 60,
};

/** The notification ack retries for up to 7 days (src/workflows/notification-turn.ts). */
const ACK_WINDOW_SEC = 7 * 86_400;
/** A webhook delivery retries for up to 10 minutes (WEBHOOK_CALLS' schedule-to-close). */
const WEBHOOK_WINDOW_SEC = 10 * 60;
/** Slack on top of a window that is itself a retry bound: the workflow's own tasks and timers. */
const SLACK_SEC = 5 * 60;

export type WorkflowTypeName = (typeof WorkflowType)[keyof typeof WorkflowType];

/**
 * Execution timeout (ms) of a workflow of `type`. A turn's calls of one step wait for approval
 * together, so a turn waits at most one approval window per model step; its deadline is its own
 * work plus that many windows (a turn with no approval tools simply never uses them).
 */
export function executionTimeoutMs(type: WorkflowTypeName, s: TimeoutSettings): number {
  const turnSec = s.turnTimeoutSec + s.maxToolIterations * s.approvalTimeoutSec;
  const sec: Record<WorkflowTypeName, number> = {
    agentTurn: turnSec,
    // Runs one child turn, with a backend call before it and nothing long after.
    heartbeat: turnSec + s.turnTimeoutSec,
    // The child turn, then an ack that may retry for days while the backend is down.
    notificationTurn: turnSec + ACK_WINDOW_SEC + SLACK_SEC,
    dispatcher: s.dispatchTimeoutSec,
    standup: s.turnTimeoutSec,
    compactConversation: s.turnTimeoutSec,
    llmTask: s.turnTimeoutSec,
    webhookDelivery: WEBHOOK_WINDOW_SEC + SLACK_SEC,
  };
  return sec[type] * 1000;
}
