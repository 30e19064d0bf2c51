/**
 * Checks what `GET …/dispatch/undelivered` returned, one delivery at a time, so a single bad
 * entry is skipped and reported instead of failing the whole poll. Pure: unit-tested on its own.
 */
import { ROLE_PATTERN, USER_ID_PATTERN } from '../config';
import { parseSessionKey } from '../shared/ids';
import {
  MAX_DISPATCH_BATCH_CHARS,
  MAX_NOTIFICATION_CHARS,
  type MalformedDelivery,
  type NotificationDelivery,
} from '../shared/dispatch';

/** Backend ids may be strings or numbers; they end up in workflow ids and URLs. */
const MAX_ID_CHARS = 200;

export type DeliveryCheck =
  { ok: true; delivery: NotificationDelivery } | { ok: false; malformed: MalformedDelivery };

function idOf(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'string' && value.trim() !== '' && value.length <= MAX_ID_CHARS) return value;
  return undefined;
}

function optionalText(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

export function checkDelivery(raw: unknown): DeliveryCheck {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, malformed: { reason: 'delivery is not a JSON object' } };
  }
  const item = raw as Record<string, unknown>;
  const notificationId = idOf(item.notification_id);
  const userId = typeof item.user_id === 'string' ? item.user_id : undefined;
  const bad = (reason: string): DeliveryCheck => ({
    ok: false,
    malformed: { ...(notificationId ? { notificationId } : {}), ...(userId ? { userId } : {}), reason },
  });

  if (!notificationId)
    return bad(`notification_id is missing or not a string/number of at most ${MAX_ID_CHARS} characters`);
  if (!userId) return bad('user_id is missing');
  if (!USER_ID_PATTERN.test(userId)) return bad('user_id must be 1-128 characters of A-Z a-z 0-9 _ . @ -');
  if (typeof item.session_key !== 'string' || item.session_key === '') return bad('session_key is missing');
  const session = parseSessionKey(item.session_key);
  if (!session) return bad("session_key must look like 'user:<user_id>:<role>'");
  if (session.userId !== userId) return bad('session_key belongs to another user than user_id');
  if (!ROLE_PATTERN.test(session.role)) return bad('session_key role must match [A-Za-z0-9_-]{1,64}');
  if (typeof item.content !== 'string' || item.content.trim() === '')
    return bad('content is missing or empty');
  if (item.content.length > MAX_NOTIFICATION_CHARS)
    return bad(`content is longer than ${MAX_NOTIFICATION_CHARS} characters`);

  const taskId = item.task_id === undefined || item.task_id === null ? undefined : idOf(item.task_id);
  if (item.task_id !== undefined && item.task_id !== null && taskId === undefined)
    return bad('task_id is not a usable id');
  const taskTitle = optionalText(item.task_title);
  return {
    ok: true,
    delivery: {
      notificationId,
      userId,
      sessionKey: item.session_key,
      role: session.role,
      content: item.content,
      ...(taskId !== undefined ? { taskId } : {}),
      ...(taskTitle !== undefined ? { taskTitle: taskTitle.slice(0, 500) } : {}),
    },
  };
}

/** Checks every delivery and keeps the valid ones within the batch budget, in the backend's order. */
export function planDispatchBatch(
  raw: unknown[],
  budgetChars: number = MAX_DISPATCH_BATCH_CHARS,
): { deliveries: NotificationDelivery[]; malformed: MalformedDelivery[]; deferred: number } {
  const deliveries: NotificationDelivery[] = [];
  const malformed: MalformedDelivery[] = [];
  const seen = new Set<string>();
  let deferred = 0;
  let chars = 0;
  for (const item of raw) {
    const check = checkDelivery(item);
    if (!check.ok) {
      malformed.push(check.malformed);
      continue;
    }
    const { delivery } = check;
    // The same notification twice in one answer would start one turn anyway; count it once.
    if (seen.has(delivery.notificationId)) {
      malformed.push({
        notificationId: delivery.notificationId,
        userId: delivery.userId,
        reason: 'listed twice in one poll',
      });
      continue;
    }
    seen.add(delivery.notificationId);
    const size = delivery.content.length + (delivery.taskTitle?.length ?? 0);
    // The first delivery always goes, so one large notification can never block the queue.
    if (deliveries.length > 0 && chars + size > budgetChars) {
      deferred += 1;
      continue;
    }
    chars += size;
    deliveries.push(delivery);
  }
  return { deliveries, malformed, deferred };
}

/** The notification id of a raw delivery as `checkDelivery` reads it; undefined when unusable. */
export function rawNotificationId(raw: unknown): string | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  return idOf((raw as Record<string, unknown>).notification_id);
}

/**
 * How long the notifications a poll lists have been waiting: from the backend's optional
 * `created_at` (ISO 8601) when it sends a usable one, else from the first poll of this worker that
 * listed it. Remembers only what the latest poll listed, so memory is bounded by one poll.
 */
export class UndeliveredAges {
  private firstSeen = new Map<string, number>();

  /** Age in seconds of the oldest notification in `raw`; null when it lists none. */
  observe(raw: unknown[], nowMs: number): number | null {
    const seen = new Map<string, number>();
    let oldest: number | null = null;
    for (const item of raw) {
      const id = rawNotificationId(item);
      const created = createdAtOf(item, nowMs);
      const since = created ?? (id ? (this.firstSeen.get(id) ?? nowMs) : nowMs);
      if (id) seen.set(id, since);
      oldest = oldest === null ? since : Math.min(oldest, since);
    }
    this.firstSeen = seen;
    return oldest === null ? null : Math.round((nowMs - oldest) / 100) / 10;
  }
}

function createdAtOf(raw: unknown, nowMs: number): number | undefined {
  if (raw === null || typeof raw !== 'object') return undefined;
  const value = (raw as Record<string, unknown>).created_at;
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  // A clock ahead of ours would make a negative age: count it as just created.
  return Number.isFinite(ms) ? Math.min(ms, nowMs) : undefined;
}
