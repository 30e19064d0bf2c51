/**
 * zod schemas for every request body and query string of contract v1. Unknown body fields are
 * ignored rather than rejected: contract versions grow additively, so a newer runtime sending an
 * extra field must keep working against this backend.
 */
import { z } from 'zod';
import { isValidTimeZone } from '../../src/config';

const text = (max: number) => z.string().trim().min(1, { error: 'must not be empty' }).max(max);
const id = z.string().min(1, { error: 'must not be empty' }).max(200);
const idempotencyKey = z.string().min(1, { error: 'must not be empty' }).max(200).optional();
const jsonObject = z.record(z.string(), z.unknown());

/** Query values arrive as strings; repeated parameters arrive as arrays and are rejected. */
const intQuery = (fallback: number, min: number, max: number) =>
  z.coerce
    .number({ error: 'must be a whole number' })
    .int({ error: 'must be a whole number' })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` })
    .default(fallback);

export const listTasksQuery = z.object({
  limit: intQuery(50, 1, 100),
  cursor: z.string().optional(),
});

export const createTaskBody = z.object({
  title: text(500),
  description: z.string().max(20_000).optional(),
  status: text(64).default('in_progress'),
  metadata: jsonObject.optional(),
  idempotency_key: idempotencyKey,
});

export const createMessageBody = z.object({
  task_id: id,
  content: z.string().min(1, { error: 'must not be empty' }).max(200_000),
  actor_type: z.enum(['agent', 'user']).default('user'),
  agent_role: z.string().min(1).max(64).optional(),
  attachments: z.union([jsonObject, z.array(z.unknown()), z.null()]).optional(),
  idempotency_key: idempotencyKey,
});

export const createDocumentBody = z.object({
  task_id: id,
  title: text(500),
  content: z.string().max(1_000_000),
  doc_type: text(64).default('note'),
  idempotency_key: idempotencyKey,
});

export const heartbeatBody = z.object({ user_id: id });

export const standupBody = z.object({
  user_id: id,
  timezone: z
    .string()
    .refine(isValidTimeZone, { error: 'must be an IANA time zone such as UTC or Europe/Berlin' }),
});

export const enqueueNotificationBody = z
  .object({
    user_id: id,
    session_key: z.string().regex(/^user:[^:]+:[^:]+$/, { error: 'must look like user:<user_id>:<role>' }),
    content: z.string().min(1, { error: 'must not be empty' }).max(200_000),
    task_id: id.optional(),
    task_title: text(500).optional(),
    idempotency_key: idempotencyKey,
  })
  .refine((b) => b.session_key.split(':')[1] === b.user_id, {
    error: 'session_key must belong to user_id (user:<user_id>:<role>)',
    path: ['session_key'],
  });

/** `unchecked=true` is test-only: store the notification as sent, without validation. */
export const enqueueQuery = z.object({ unchecked: z.enum(['true', 'false']).optional() });

export const undeliveredQuery = z.object({
  limit_users: intQuery(25, 1, 1000),
  limit_notifications: intQuery(25, 1, 1000),
});

export const deliverParams = z.object({ id });
export const deliverQuery = z.object({ user_id: id });

export const inspectQuery = z.object({ user_id: id.optional() });

export const toolParams = z.object({ name: z.string().min(1) });
export const toolCallBody = z.looseObject({ arguments: jsonObject.default({}) });
