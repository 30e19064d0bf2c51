/**
 * The execution timeout of every workflow type (docs/architecture.md, "Bounded by construction"):
 * nothing Clasper starts runs forever, not even a run whose workflow tasks fail on every attempt.
 * Each bound is the longest legitimate run of its type plus room, derived from config by whoever
 * starts the workflow; a workflow that starts a child hands the settings on in the child's input.
 *
 * Workflow-safe: pure arithmetic, imported by workflows, API, schedules and scripts alike.
 */
import { DISPATCH_POLL_BUDGET_SEC } from './dispatch';
import { DEFAULT_TURN_LIMITS, DEFAULT_TURN_TIMEOUT_SEC } from './turn';
import type { WorkflowType } from './workflow-types';

export interface TimeoutSettings {
  /** CLASPER_TURN_TIMEOUT_SEC: a turn's own work (model and tool calls, their retries). */
  turnTimeoutSec: number;
  /** CLASPER_APPROVAL_TIMEOUT_SEC: how long one tool call may wait for a person. */
  approvalTimeoutSec: number;
  /** CLASPER_MAX_TOOL_ITERATIONS: model steps per turn; each step may wait for approvals once. */
  maxToolIterations: number;
  /** DISPATCH_INTERVAL_SEC: seconds between a dispatcher run's polls. */
  dispatchIntervalSec: number;
  /** DISPATCH_WINDOW_SEC: seconds one dispatcher run covers; ≤ the interval: one poll a run. */
  dispatchWindowSec: number;
  /** CLASPER_SESSION_IDLE_SEC: how long an idle session waits for a message before it ends. */
  sessionIdleSec: number;
  /** CLASPER_SESSION_RUN_MAX_SEC: a session run older than this continues as new at its next turn. */
  sessionRunMaxSec: number;
}

/** The defaults of the settings above, for runs started before the settings travelled in inputs. */
export const DEFAULT_TIMEOUT_SETTINGS: TimeoutSettings = {
  turnTimeoutSec: DEFAULT_TURN_TIMEOUT_SEC,
  approvalTimeoutSec: DEFAULT_TURN_LIMITS.approvalTimeoutSec,
  maxToolIterations: 8,
  dispatchIntervalSec: 5,
  dispatchWindowSec: 5 * 60,
  sessionIdleSec: 3600,
  sessionRunMaxSec: 86_400,
};

/** The notification ack retries for up to 7 days (src/workflows/notification-turn.ts). */
const ACK_WINDOW_SEC = 7 * 86_400;
/** A webhook delivery retries for up to 10 minutes (WEBHOOK_CALLS' schedule-to-close). */
const WEBHOOK_WINDOW_SEC = 10 * 60;
/** Slack on top of a window that is itself a retry bound: the workflow's own tasks and timers. */
const SLACK_SEC = 5 * 60;

/**
 * A dispatcher run polls until its window's end (DISPATCH_WINDOW_SEC; none when it is no longer
 * than the interval: one poll), and its last poll may retry for a poll's budget after that.
 */
export function dispatcherRunSec(
  s: Pick<TimeoutSettings, 'dispatchIntervalSec' | 'dispatchWindowSec'>,
): number {
  const windowSec = s.dispatchWindowSec > s.dispatchIntervalSec ? s.dispatchWindowSec : 0;
  return windowSec + DISPATCH_POLL_BUDGET_SEC + DISPATCH_TIMEOUT_SLACK_SEC;
}

/** A dispatcher run's room past its window and last poll: starting children, workflow tasks. */
export const DISPATCH_TIMEOUT_SLACK_SEC = SLACK_SEC;

export type WorkflowTypeName = (typeof WorkflowType)[keyof typeof WorkflowType];

/** A budget run lasts until the end of its UTC day (src/workflows/budget.ts). */
const BUDGET_DAY_SEC = 86_400;

/**
 * Workflow types that continue as new and live as long as they are used: their bound is per run
 * (`workflowRunTimeout`), because an execution timeout spans the whole continue-as-new chain and
 * would end a busy conversation, or a budget override, at an arbitrary moment.
 */
export const PER_RUN_TIMEOUT_TYPES: ReadonlySet<WorkflowTypeName> = new Set(['session', 'budget']);

/**
 * Execution timeout (ms) of a workflow of `type`; for PER_RUN_TIMEOUT_TYPES, its run timeout. A
 * turn's calls of one step wait for approval together, so a turn waits at most one approval window
 * per model step; its deadline is its own work plus that many windows (a turn with no approval
 * tools simply never uses them).
 */
export function executionTimeoutMs(type: WorkflowTypeName, s: TimeoutSettings): number {
  const turnSec = s.turnTimeoutSec + s.maxToolIterations * s.approvalTimeoutSec;
  const sec: Record<WorkflowTypeName, number> = {
    agentTurn: turnSec,
    // Runs one child turn, with a backend call before it and nothing long after.
    heartbeat: turnSec + s.turnTimeoutSec,
    // The child turn, then an ack that may retry for days while the backend is down.
    notificationTurn: turnSec + ACK_WINDOW_SEC + SLACK_SEC,
    dispatcher: dispatcherRunSec(s),
    standup: s.turnTimeoutSec,
    compactConversation: s.turnTimeoutSec,
    llmTask: s.turnTimeoutSec,
    webhookDelivery: WEBHOOK_WINDOW_SEC + SLACK_SEC,
    // Per run: a run continues as new at its first turn past its age, which may run a turn's
    // deadline; an idle run ends after the idle window.
    session: s.sessionRunMaxSec + turnSec + s.sessionIdleSec + SLACK_SEC,
    // Per run: it ends (or continues as new, keeping an override) when its UTC day is over.
    budget: BUDGET_DAY_SEC + SLACK_SEC,
  };
  return sec[type] * 1000;
}
