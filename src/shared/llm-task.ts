/**
 * The pure parts of POST /llm-task (docs/architecture.md, "Compact and LLM task"): the prompt that
 * asks for a bare JSON value, the follow-up that feeds a bad answer's problem back, and the shapes
 * that cross the workflow ⇄ activity ⇄ API boundaries. Workflow-safe: no Node imports.
 */
import type { CallModelInput, ChatMessage, Usage } from './types';

export const LlmTaskFailure = {
  /** The answer was not JSON, or did not match the schema, twice. */
  InvalidOutput: 'LlmTask.InvalidOutput',
  /** The schema does not compile (the API checks first; a workflow started otherwise may hit it). */
  InvalidSchema: 'LlmTask.InvalidSchema',
} as const;

/** The original's default: steady, but not frozen. */
export const DEFAULT_LLM_TASK_TEMPERATURE = 0.3;
/** One model call, then one more with the problem fed back; then the task fails. */
export const LLM_TASK_MAX_ATTEMPTS = 2;

export interface LlmTaskInput {
  prompt: string;
  /** Any JSON; shown to the model pretty-printed under `Input:`. */
  input?: unknown;
  schema?: Record<string, unknown>;
  temperature: number;
  maxTokens?: number;
  tier: CallModelInput['tier'];
  /** The user whose budget the model calls are charged to (optional in the API). */
  userId?: string;
}

export interface LlmTaskResult {
  status: 'ok';
  output: unknown;
  usage: Usage;
  /** USD; null when a model that answered is not in the pricing table. */
  cost: number | null;
  /** True when the output was checked against a schema. */
  validated: boolean;
  /** The model that gave the accepted answer. */
  model: string;
  /** Model calls made (1, or 2 when the first answer was unusable). */
  attempts: number;
}

export interface ValidateJsonInput {
  text: string;
  schema?: Record<string, unknown>;
}

export type ValidateJsonResult = { ok: true; value: unknown } | { ok: false; error: string };

/** Heads the schema in the system prompt; the offline demo model finds the schema after it. */
export const LLM_TASK_SCHEMA_INTRO = 'The JSON must match this JSON Schema:';

export function llmTaskSystemPrompt(schema?: Record<string, unknown>): string {
  const base =
    'You complete one task and answer with a single JSON value only: no code fences, no commentary, ' +
    'nothing before or after the JSON.';
  return schema ? `${base}\n\n${LLM_TASK_SCHEMA_INTRO}\n${JSON.stringify(schema, null, 2)}` : base;
}

/** Heads the caller's input in the user prompt. */
export const LLM_TASK_INPUT_INTRO = 'Input:';

export function llmTaskUserPrompt(prompt: string, input: unknown): string {
  return input === undefined
    ? prompt
    : `${prompt}\n\n${LLM_TASK_INPUT_INTRO}\n${JSON.stringify(input, null, 2)}`;
}

export function llmTaskMessages(task: Pick<LlmTaskInput, 'prompt' | 'input' | 'schema'>): ChatMessage[] {
  return [
    { role: 'system', content: llmTaskSystemPrompt(task.schema) },
    { role: 'user', content: llmTaskUserPrompt(task.prompt, task.input) },
  ];
}

/** The second attempt: the first answer stays in the conversation, followed by what is wrong with it. */
export function retryMessages(first: ChatMessage[], answer: string, problem: string): ChatMessage[] {
  return [
    ...first,
    { role: 'assistant', content: answer },
    {
      role: 'user',
      content: `That answer cannot be used: ${problem}\nAnswer again with only the corrected JSON value.`,
    },
  ];
}

/**
 * JSON mode (`response_format: json_object`) makes OpenAI return an object, so it is asked for
 * only when an object is acceptable: no schema, or a schema whose top level allows an object.
 */
export function wantsJsonObjectMode(schema?: Record<string, unknown>): boolean {
  if (!schema || schema.type === undefined) return true;
  return schema.type === 'object' || (Array.isArray(schema.type) && schema.type.includes('object'));
}
