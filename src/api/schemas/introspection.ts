/**
 * HTTP shapes of the introspection endpoints (README.md, "Other endpoints"): GET /context, /skills,
 * /boot, POST /boot/complete and GET /usage. Field names follow the original Clasper where it had
 * the endpoint; unlike the original, all of them sit behind the daemon key.
 */
import { z } from 'zod';
import { BudgetStatusSchema } from './budgets';
import { ROLE_PATTERN } from '../../config';
import { parseSince } from '../usage';
import { ErrorSchema, UserIdSchema, errorResponses } from './common';

/** Introspection reads the API's workspace folder; 503 when it is missing or unreadable. */
export const introspectionErrors = { ...errorResponses, 503: ErrorSchema } as const;

export const ContextQuerySchema = z.object({
  role: z
    .string()
    .regex(ROLE_PATTERN, { error: 'must be 1-64 characters of letters, digits, _ or - (for example lead)' })
    .optional()
    .describe('Agent role: reports souls/<role>.md as the persona; without it, SOUL.md'),
});

export const ContextFileSchema = z.object({
  name: z.string().describe('Workspace-relative file name, e.g. souls/lead.md'),
  exists: z.boolean(),
  rawChars: z.number().int(),
  injectedChars: z.number().int().describe('Characters that reach the prompt, after the per-file cut'),
  truncated: z.boolean(),
  estimatedTokens: z.number().int().describe('ceil(injectedChars / 4), a rough per-file share'),
});

export const ContextReportSchema = z
  .object({
    workspacePath: z.string(),
    maxCharsPerFile: z.number().int(),
    files: z.array(ContextFileSchema),
    totalBootstrapChars: z.number().int(),
    systemPromptChars: z
      .number()
      .int()
      .describe('The whole system prompt a turn for this role would get now'),
    estimatedSystemPromptTokens: z
      .number()
      .int()
      .describe('The system prompt in tokens, counted as the model step counts it (tokens.method)'),
    tokens: z
      .object({
        model: z.string().describe('The default model as results name it (LLM_MODEL_LABEL, else its name)'),
        method: z.enum(['tiktoken:o200k_base', 'tiktoken:cl100k_base', 'rough:chars/4']),
        methodDescription: z.string().describe('How the counts were made; the rough estimate says so'),
        systemPromptTokens: z.number().int(),
        toolSchemas: z.number().int().describe('Built-in tool schemas offered to every turn'),
        toolTokens: z.number().int(),
        totalTokens: z.number().int().describe('System prompt and tool schemas, before any conversation'),
        contextWindow: z.number().int(),
        contextWindowSource: z.enum(['LLM_CONTEXT_WINDOW', 'known model window']),
        windowPercent: z.number().describe('totalTokens as a percentage of contextWindow'),
      })
      .describe('The prompt before any conversation, in tokens for the default model'),
  })
  .describe('ContextReport');

export const SkillSchema = z.object({
  name: z.string(),
  description: z.string(),
  enabled: z.boolean(),
  gateReason: z
    .string()
    .optional()
    .describe('Why the skill is disabled (missing env var or binary, wrong OS, bad frontmatter)'),
  location: z.string().describe('Skill folder relative to the workspace, e.g. skills/task-management'),
  emoji: z.string().optional(),
});

export const SkillsSchema = z
  .object({
    enabled: z.number().int(),
    total: z.number().int(),
    skills: z.array(SkillSchema),
  })
  .describe('Skills');

export const BootStatusSchema = z
  .object({
    hasBoot: z.boolean(),
    isComplete: z.boolean(),
    content: z.string().nullable().describe('BOOT.md; null once boot is complete or when there is none'),
    completedAt: z.string().optional(),
  })
  .describe('BootStatus');

export const BootCompletedSchema = z
  .object({ status: z.literal('ok'), completedAt: z.string() })
  .describe('BootCompleted');

export const UsageQuerySchema = z.object({
  user_id: UserIdSchema.optional().describe('Only this user; without it, every user, each in `users`'),
  since: z
    .string()
    .max(64)
    .refine((v) => parseSince(v, new Date()) !== null, {
      error:
        'must be an ISO date or time (2025-01-31, 2025-01-31T09:00:00Z) in the past or a duration such as 30m, 24h, 7d',
    })
    .optional()
    .describe('Start of the window: ISO date/time or a duration back from now (e.g. 24h). Default 24h'),
});

const UserUsageSchema = z.object({
  user_id: z.string(),
  turns: z.number().int().describe('Completed and failed turns'),
  failed_turns: z.number().int().describe('Of those, failed turns (their model calls count too)'),
  prompt_tokens: z.number().int(),
  completion_tokens: z.number().int(),
  total_tokens: z.number().int(),
  cost: z
    .number()
    .nullable()
    .describe('USD, summed over the turns whose cost is known; null when no turn has a known cost'),
  turns_without_cost: z
    .number()
    .int()
    .describe('Turns whose model has no known price; `cost` leaves them out'),
  turns_without_usage: z.number().int().describe('Turns that finished before usage was recorded on turns'),
});

export const UsageReportSchema = z
  .object({
    since: z.string(),
    until: z.string(),
    user_id: z.string().optional(),
    requestCount: z
      .number()
      .int()
      .describe('Completed and failed turns in the window (original Clasper field)'),
    failedCount: z.number().int().describe('Of those, failed turns'),
    totalInputTokens: z.number().int(),
    totalOutputTokens: z.number().int(),
    totalTokens: z.number().int(),
    totalCost: z
      .number()
      .nullable()
      .describe(
        'USD over the turns whose cost is known; null when none is (e.g. a local model without a price)',
      ),
    currency: z.literal('USD'),
    users: z.array(UserUsageSchema),
    truncated: z.boolean().describe('True when the window held more turns than one request sums; narrow it'),
    consistency: z
      .literal('eventual')
      .describe('Read from Temporal visibility: a turn that just finished may take a moment to be counted'),
    budget: BudgetStatusSchema.optional().describe(
      "with user_id: the user's budget today, counted exactly (every model call, failed turns too)",
    ),
  })
  .describe('UsageReport');
