/** HTTP shapes of POST /llm-task (README.md, "Other endpoints"), compatible with the original Clasper's. */
import { z } from 'zod';
import { UsageSchema } from './agents';
import { UserIdSchema } from './common';

/** Schemas are compiled to code by ajv: keep them to a size a person writes, not a generated dump. */
const MAX_SCHEMA_JSON_CHARS = 50_000;
const MAX_PROMPT_CHARS = 100_000;

export const LlmTaskBodySchema = z
  .object({
    prompt: z.string().min(1).max(MAX_PROMPT_CHARS),
    user_id: UserIdSchema.optional().describe(
      "charge the model calls to this user's budget (stopped with 429 when it is exhausted)",
    ),
    input: z.unknown().optional().describe('Any JSON; shown to the model pretty-printed under "Input:"'),
    schema: z
      .record(z.string(), z.unknown())
      .refine((s) => JSON.stringify(s).length <= MAX_SCHEMA_JSON_CHARS, {
        error: `must be at most ${MAX_SCHEMA_JSON_CHARS} characters as JSON`,
      })
      .optional()
      .describe(
        'JSON Schema (draft-07 by default; 2019-09 and 2020-12 when $schema names them) the output must match',
      ),
    model: z
      .string()
      .max(200)
      .optional()
      .describe(
        "A tier: 'default' or 'cheap' (LLM_MODEL_CHEAP). Model names are the worker's configuration " +
          '(LLM_MODEL_*), which the API does not know, so any other value is ignored and the default tier is used.',
      ),
    temperature: z.number().min(0).max(2).optional(),
    max_tokens: z
      .number()
      .int()
      .positive()
      .max(1_000_000)
      .optional()
      .describe('Passed to the model as its output limit'),
  })
  .describe('LlmTaskRequest');

export const LlmTaskResultSchema = z
  .object({
    status: z.literal('ok'),
    output: z.unknown(),
    usage: UsageSchema,
    cost: z.number().nullable(),
    validated: z.boolean().describe('True when the output was checked against `schema`'),
    model: z.string().describe('The model that gave the answer'),
  })
  .describe('LlmTaskResult');
