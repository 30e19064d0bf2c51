/**
 * Patch ids of the workflows' deployed shapes (`patched()`), one place so each is named once. A
 * run started before a patch replays the old path; see docs/architecture.md ("Versioning the
 * workflows") for when a patch's old path may be removed.
 */

/**
 * AgentTurn v2: setup steps concurrent and local, the reply a local activity, the webhook an
 * abandoned child workflow, fan-out and byte bounds. Before it: legacy/agent-turn-v1.ts.
 */
export const TURN_V2_PATCH = 'turn-v2-local-steps';

/** AgentTurn takes messages a session steers into it (the `steer` update, lib/steer-inbox.ts). */
export const TURN_STEER_PATCH = 'turn-steer';

/** AgentTurn's model calls check and charge the user's budget (shared/budget.ts). */
export const TURN_BUDGET_PATCH = 'turn-budget';

/**
 * Children started with an execution timeout (src/shared/timeouts.ts): the dispatcher's
 * notification turns, the turns of heartbeats and notifications, a turn's webhook deliveries.
 */
export const CHILD_TIMEOUTS_PATCH = 'child-execution-timeouts';

/** A failed AgentTurn records the usage of the model calls it made, so GET /usage counts it. */
export const FAILED_TURN_USAGE_PATCH = 'turn-failed-usage';

/**
 * Dispatcher v2: one run covers a window (DispatcherInput), polling inside one long-running
 * `awaitDeliveries` activity instead of one `fetchDeliveries` per run. Before it: one poll a run.
 */
export const DISPATCH_WINDOW_PATCH = 'dispatch-window';
