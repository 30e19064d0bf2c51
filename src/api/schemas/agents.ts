/**
 * HTTP shapes of the agent endpoints (README.md, "HTTP API"), compatible with the original
 * Clasper. The same zod schemas validate requests, serialize responses and produce the OpenAPI
 * document at /docs.
 */
import { z } from 'zod';
import { PendingApprovalSchema } from './control';
import { ROLE_PATTERN, USER_ID_PATTERN, isValidTimeZone } from '../../config';
import { UserIdSchema } from './common';
import { TURN_KEY_PATTERN, parseSessionKey } from '../../shared/ids';
import { MULTITASK_STRATEGIES } from '../../shared/session';

const MAX_MESSAGE_CHARS = 100_000;

export const HistoryMessageSchema = z.object({
  role: z.enum(['user', 'assistant', 'system']),
  content: z.string().max(MAX_MESSAGE_CHARS),
});

export const MetadataSchema = z
  .object({
    kickoff_plan: z.boolean().optional(),
    kickoff_note: z.string().max(10_000).optional(),
    plan_title: z.string().min(1).max(500).optional(),
    timezone: z
      .string()
      .refine(isValidTimeZone, { error: 'must be an IANA time zone such as UTC or Europe/Berlin' })
      .optional(),
    system_prompt: z.string().max(MAX_MESSAGE_CHARS).optional(),
  })
  .catchall(z.unknown());

export const WebhookSchema = z.object({
  url: z.string().max(2048),
  secret: z.string().min(1).max(1024).optional(),
  headers: z
    .record(
      z.string().regex(/^[A-Za-z0-9-]{1,100}$/),
      z
        .string()
        .max(4096)
        .regex(/^[^\r\n]*$/),
    )
    .optional(),
});

export const SendBodySchema = z
  .object({
    user_id: UserIdSchema,
    session_key: z.string().max(256),
    message: z.string().min(1).max(MAX_MESSAGE_CHARS),
    messages: z.array(HistoryMessageSchema).max(500).default([]),
    task_id: z.string().min(1).max(256).optional(),
    task_title: z.string().min(1).max(500).optional(),
    task_description: z.string().max(10_000).optional(),
    task_metadata: z.record(z.string(), z.unknown()).optional(),
    metadata: MetadataSchema.default({}),
    webhook: WebhookSchema.optional(),
    stream: z.boolean().optional(),
    multitask_strategy: z
      .enum(MULTITASK_STRATEGIES)
      .optional()
      .describe(
        'when the session already runs a turn: reject (409), enqueue (wait for it), interrupt (stop it at its next step) or steer (add this message to it); default CLASPER_MULTITASK_STRATEGY',
      ),
  })
  .superRefine((body, ctx) => {
    const session = parseSessionKey(body.session_key);
    if (!session) {
      ctx.addIssue({
        code: 'custom',
        path: ['session_key'],
        message: "must look like 'user:<user_id>:<role>'",
      });
      return;
    }
    if (!ROLE_PATTERN.test(session.role)) {
      ctx.addIssue({ code: 'custom', path: ['session_key'], message: 'role must match [A-Za-z0-9_-]{1,64}' });
    }
  })
  .describe('SendRequest');

export type SendBody = z.infer<typeof SendBodySchema>;

export const SendQuerySchema = z.object({
  wait: z.enum(['true', 'false']).default('true'),
});

const STREAM_OFFSET = z
  .string()
  .regex(/^\d{1,15}$/, { error: 'must be a stream offset: the id of the last event received (0 or more)' });

/** Join or resume a turn's stream: from `?after=` or the `Last-Event-ID` header (EventSource sends it). */
export const StreamQuerySchema = z.object({ after: STREAM_OFFSET.optional() });
export const StreamHeadersSchema = z.object({ 'last-event-id': STREAM_OFFSET.optional() });

export const SendHeadersSchema = z.object({
  'idempotency-key': z
    .string()
    .regex(TURN_KEY_PATTERN, { error: 'must be 1-128 characters of A-Z a-z 0-9 _ . : -' })
    .optional(),
  prefer: z.string().optional(),
});

export const UsageSchema = z.object({
  prompt_tokens: z.number(),
  completion_tokens: z.number(),
  total_tokens: z.number(),
});

export const TurnResultSchema = z
  .object({
    status: z.literal('ok'),
    turn_id: z.string(),
    task_id: z.string(),
    response: z.string(),
    usage: UsageSchema,
    cost: z.number().nullable(),
    model: z.string(),
    tool_calls: z.array(z.object({ name: z.string(), ok: z.boolean(), error: z.string().optional() })),
    iterations: z.number(),
    capped: z.boolean(),
    stopped_by: z
      .enum(['max_tool_iterations', 'max_turn_bytes'])
      .optional()
      .describe('which bound ended the turn, when capped'),
    posted: z.boolean(),
    message_id: z.string().optional(),
    document_id: z.string().optional(),
    context_warning: z.string().optional(),
  })
  .describe('TurnResult');

export const AcceptedSchema = z
  .object({
    status: z.enum(['accepted', 'waiting_approval', 'steered']),
    turn_id: z.string().describe('with steered: the running turn that took the message'),
    status_url: z.string(),
    steered_step: z.number().optional().describe('with steered: the model step that reads the message'),
  })
  .describe('TurnAccepted');

export const TurnParamsSchema = z.object({ turn_id: z.string().min(1).max(400) });

export const TurnStatusSchema = z
  .object({
    turn_id: z.string(),
    status: z.enum([
      'queued',
      'running',
      'waiting_approval',
      'completed',
      'failed',
      'cancelled',
      'terminated',
      'timed_out',
      'continued',
    ]),
    result: TurnResultSchema.optional(),
    error: z.string().optional(),
    pending_approvals: z.array(PendingApprovalSchema).optional(),
    cancel_reason: z.string().optional(),
    session_key: z.string().optional().describe('with queued: the session it waits in'),
    position: z.number().optional().describe('with queued: turns ahead of it (0: next)'),
  })
  .describe('TurnStatus');

/** A session key as send accepts it: it names a workflow id, so the same alphabet. */
export const SessionParamsSchema = z.object({
  session_key: z
    .string()
    .max(256)
    .refine(
      (key) => {
        const session = parseSessionKey(key);
        return !!session && USER_ID_PATTERN.test(session.userId) && ROLE_PATTERN.test(session.role);
      },
      { error: "must look like 'user:<user_id>:<role>' (role [A-Za-z0-9_-]{1,64})" },
    ),
});

export const SessionViewSchema = z
  .object({
    session_key: z.string(),
    running: z.object({ turn_id: z.string(), started_at: z.string() }).nullable(),
    queue: z.array(z.object({ turn_id: z.string(), enqueued_at: z.string() })),
    turns_started: z.number(),
  })
  .describe('Session');
