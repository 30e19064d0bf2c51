import { z } from 'zod';

/** Every error the API answers with: `{error}` plus optional details (field errors, the turn id). */
export const ErrorSchema = z
  .object({
    error: z.string(),
    details: z.unknown().optional(),
    turn_id: z.string().optional(),
  })
  .describe('Error');

export const errorResponses = {
  400: ErrorSchema,
  401: ErrorSchema,
  403: ErrorSchema,
  404: ErrorSchema,
  413: ErrorSchema,
  429: ErrorSchema,
  502: ErrorSchema,
} as const;
