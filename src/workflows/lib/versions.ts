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

/**
 * Children started with an execution timeout (src/shared/timeouts.ts): the dispatcher's
 * notification turns, the turns of heartbeats and notifications, a turn's webhook deliveries.
 */
export const CHILD_TIMEOUTS_PATCH = 'child-execution-timeouts';

/** A failed AgentTurn records the usage of the model calls it made, so GET /usage counts it. */
export const FAILED_TURN_USAGE_PATCH = 'turn-failed-usage';
