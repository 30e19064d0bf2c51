/** Approvals and cancellation of running turns (README, "Human in the loop"). */
import { z } from 'zod';
import { UserIdSchema } from './common';

export const ApprovalParamsSchema = z.object({
  turn_id: z.string().min(1).max(400),
  call_id: z.string().min(1).max(200),
});

export const ApprovalBodySchema = z
  .strictObject({
    decision: z.enum(['approve', 'deny']),
    reason: z.string().max(2000).optional(),
    arguments: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('with approve only: the arguments to run the tool with, checked against its schema'),
  })
  .refine((b) => b.decision === 'approve' || b.arguments === undefined, {
    message: 'arguments can only be given with decision "approve"',
    path: ['arguments'],
  });

export const PendingApprovalSchema = z
  .object({
    call_id: z.string(),
    name: z.string(),
    arguments: z.unknown(),
    requested_at: z.string(),
    step: z.number(),
  })
  .describe('PendingApproval');

export const ApprovalRecordSchema = z
  .object({
    call_id: z.string(),
    name: z.string(),
    decision: z.enum(['approve', 'deny']),
    reason: z.string().optional(),
    arguments: z.record(z.string(), z.unknown()).optional(),
    decided_at: z.string(),
    by: z.enum(['reviewer', 'timeout']),
  })
  .describe('ApprovalDecision');

/** An empty POST (no body at all) is a cancel without a reason. */
export const CancelBodySchema = z.preprocess(
  (v) => v ?? {},
  z.strictObject({ reason: z.string().max(2000).optional() }),
);

export const CancelResultSchema = z
  .object({ turn_id: z.string(), status: z.literal('cancelling'), reason: z.string() })
  .describe('TurnCancelling');

export const InboxQuerySchema = z.object({
  user_id: UserIdSchema.optional(),
});

export const InboxSchema = z
  .object({
    items: z.array(PendingApprovalSchema.extend({ turn_id: z.string(), user_id: z.string().optional() })),
  })
  .describe('ApprovalInbox');

export type ApprovalBody = z.infer<typeof ApprovalBodySchema>;
