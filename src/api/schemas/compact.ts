/** HTTP shapes of POST /compact (README.md, "Other endpoints"), compatible with the original Clasper's. */
import { z } from 'zod';
import { DEFAULT_KEEP_RECENT } from '../../shared/compact';
import { HistoryMessageSchema, UsageSchema } from './agents';
import { ErrorSchema, errorResponses, UserIdSchema } from './common';

/** As many messages as send accepts as history: compaction exists to shrink those. */
const MAX_MESSAGES = 500;

export const CompactBodySchema = z
  .object({
    messages: z.array(HistoryMessageSchema).min(1).max(MAX_MESSAGES),
    user_id: UserIdSchema.optional().describe(
      "charge the model calls to this user's budget (stopped with 429 when it is exhausted)",
    ),
    instructions: z.string().max(10_000).optional().describe('Appended to the summarisation request'),
    keep_recent: z
      .number()
      .int()
      .min(0)
      .max(MAX_MESSAGES)
      .default(DEFAULT_KEEP_RECENT)
      .describe('The last N messages are kept verbatim; 0 summarises everything'),
  })
  .describe('CompactRequest');

export const CompactResultSchema = z
  .object({
    status: z.literal('ok'),
    compacted_messages: z
      .array(HistoryMessageSchema)
      .describe('[system summary, ...recent]; feed it to send as `messages`'),
    usage: UsageSchema,
    original_count: z.number().int(),
    compacted_count: z.number().int(),
  })
  .describe('CompactResult');

/** 504: the workflow is still running when the API stops waiting (CLASPER_SEND_TIMEOUT_SEC). */
export const oneShotErrors = { ...errorResponses, 504: ErrorSchema } as const;
