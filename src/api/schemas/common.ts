import { z } from 'zod';
import { USER_ID_PATTERN } from '../../config';

/** A user id wherever the API takes one; it reaches Temporal visibility queries and workflow ids. */
export const UserIdSchema = z
  .string()
  .regex(USER_ID_PATTERN, { error: 'must be 1-128 characters of A-Z a-z 0-9 _ . @ -' });

/** Every error the API answers with: `{error}` plus optional details (field errors, the turn id). */
export const ErrorSchema = z
  .object({
    error: z.string(),
    details: z.unknown().optional(),
    turn_id: z.string().optional(),
    running_turn_id: z
      .string()
      .optional()
      .describe('with 409 from multitask_strategy reject: the turn the session runs'),
  })
  .describe('Error');

export const errorResponses = {
  400: ErrorSchema,
  401: ErrorSchema,
  403: ErrorSchema,
  404: ErrorSchema,
  409: ErrorSchema,
  413: ErrorSchema,
  429: ErrorSchema,
  502: ErrorSchema,
} as const;
