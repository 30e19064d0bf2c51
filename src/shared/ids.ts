/**
 * Workflow ids, activity ids and idempotency keys: one place, shared by the API and workflows.
 * Ids are readable in the Temporal UI and double as the backend's idempotency keys, so a retried
 * activity or a replayed turn never writes twice.
 */

export const AGENT_TURN_PREFIX = 'agent-turn/';

/** Characters allowed in a caller-chosen turn key (the Idempotency-Key header). */
export const TURN_KEY_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

export function makeAgentTurnId(userId: string, key: string): string {
  return `${AGENT_TURN_PREFIX}${userId}/${key}`;
}

export function isAgentTurnId(id: string): boolean {
  return id.startsWith(AGENT_TURN_PREFIX) && id.split('/').length === 3;
}

export function makeNotificationTurnId(notificationId: string): string {
  return `notification/${notificationId}`;
}

/** One-shot model workflows of POST /compact and POST /llm-task; the API picks the uuid. */
export function makeCompactId(uuid: string): string {
  return `compact/${uuid}`;
}

export function makeLlmTaskId(uuid: string): string {
  return `llm-task/${uuid}`;
}

/** `<workflowId>/<activityId>`: stable across retries and replays of the same step. */
export function makeIdempotencyKey(workflowId: string, activityId: string): string {
  return `${workflowId}/${activityId}`;
}

export function makeToolActivityId(step: number, toolCallId: string): string {
  return `tool:${step}:${toolCallId}`;
}

export const REPLY_ACTIVITY_ID = 'reply';

/**
 * The find-or-create key for a task title: the same user and title always give the same key, so
 * two concurrent turns that both miss the task create it once. FNV-1a (64-bit) keeps this pure
 * and workflow-safe; it names a key, it is not a security boundary.
 */
export function makeTaskIdempotencyKey(userId: string, title: string): string {
  return `task:${fnv1a64(`${userId}\u0000${title}`)}`;
}

function fnv1a64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  const prime = 0x100000001b3n;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= BigInt(byte);
    hash = (hash * prime) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, '0');
}

/** The session key of a user's agent role: `user:<user_id>:<role>` (parseSessionKey reads it back). */
export function makeSessionKey(userId: string, role: string): string {
  return `user:${userId}:${role}`;
}

/** `user:<user_id>:<role>` → its parts, or null when it does not have that shape. */
export function parseSessionKey(sessionKey: string): { userId: string; role: string } | null {
  const parts = sessionKey.split(':');
  if (parts.length !== 3 || parts[0] !== 'user' || !parts[1] || !parts[2]) return null;
  return { userId: parts[1], role: parts[2] };
}

/**
 * A turn run by a scheduled workflow (notification, heartbeat) is its child, named after it:
 * `notification/<id>/turn`. One parent run → one turn id → one reply key, and the UI shows the pair.
 */
export function makeChildTurnId(parentWorkflowId: string): string {
  return `${parentWorkflowId}/turn`;
}

/** Schedule ids (docs/architecture.md, "Schedules"); the API and scripts accept only these prefixes. */
export const DISPATCHER_SCHEDULE_ID = 'clasper-dispatcher';
export const HEARTBEAT_SCHEDULE_PREFIX = 'clasper-heartbeat/';
export const STANDUP_SCHEDULE_PREFIX = 'clasper-standup/';

export function makeHeartbeatScheduleId(userId: string, role: string): string {
  return `${HEARTBEAT_SCHEDULE_PREFIX}${userId}/${role}`;
}

export function makeStandupScheduleId(userId: string, role: string): string {
  return `${STANDUP_SCHEDULE_PREFIX}${userId}/${role}`;
}
