/**
 * The built-in model tools' arguments (docs/contract.md, "Tools"): one zod schema each, which both
 * validates a call and produces the JSON Schema the model sees, so the two can never drift. Objects
 * are strict, so a misspelt field is reported to the model instead of silently dropped.
 */
import { z } from 'zod';
import type { ToolSpec } from '../../shared/types';
import { idSchema } from './schemas';

const taskId = idSchema.describe('Id of the task, as returned by list_tasks or create_task');

export const builtinToolArgs = {
  list_tasks: z.strictObject({
    limit: z
      .number()
      .int()
      .min(1)
      .max(100)
      .optional()
      .describe('How many tasks to return (1-100, default 50)'),
    cursor: z
      .string()
      .min(1)
      .optional()
      .describe('next_cursor from a previous list_tasks result, to get the next page'),
  }),
  create_task: z.strictObject({
    title: z.string().trim().min(1).max(500).describe('Short title of the new task'),
    description: z.string().max(20_000).optional().describe('What the task is about'),
    status: z.string().min(1).max(64).optional().describe('Initial status, e.g. todo, in_progress, done'),
  }),
  post_message: z.strictObject({
    task_id: taskId,
    content: z.string().min(1).max(100_000).describe('Message text to post on the task'),
  }),
  create_document: z.strictObject({
    task_id: taskId,
    title: z.string().trim().min(1).max(500).describe('Document title'),
    content: z.string().min(1).describe('Document body (markdown)'),
    doc_type: z.string().min(1).max(64).optional().describe('Kind of document, e.g. plan, report, notes'),
  }),
} as const;

export type BuiltinToolName = keyof typeof builtinToolArgs;
export type BuiltinToolArgs<N extends BuiltinToolName> = z.output<(typeof builtinToolArgs)[N]>;

const descriptions: Record<BuiltinToolName, string> = {
  list_tasks: "List the user's tasks in Mission Control, one page at a time (follow next_cursor for more).",
  create_task: 'Create a new task in Mission Control and return it with its id.',
  post_message: 'Post a message on a task in Mission Control, as this agent.',
  create_document: 'Attach a document (plan, report, notes) to a task in Mission Control.',
};

export function isBuiltinTool(name: string): name is BuiltinToolName {
  return Object.hasOwn(builtinToolArgs, name);
}

/** The built-in tools in OpenAI function-tool format. */
export function builtinToolSpecs(): ToolSpec[] {
  return (Object.keys(builtinToolArgs) as BuiltinToolName[]).map((name) => ({
    type: 'function',
    function: { name, description: descriptions[name], parameters: jsonSchemaFor(builtinToolArgs[name]) },
  }));
}

function jsonSchemaFor(schema: z.ZodType): Record<string, unknown> {
  // `io: 'input'` describes what the model may send (optional fields stay optional).
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>;
  return rest;
}

/**
 * Validates a built-in tool's arguments. On failure returns one line the model can act on:
 * `invalid arguments for create_task: title: Required; status: expected string, got number`.
 */
export function parseToolArgs<N extends BuiltinToolName>(
  name: N,
  args: unknown,
): { ok: true; value: BuiltinToolArgs<N> } | { ok: false; error: string } {
  const parsed = builtinToolArgs[name].safeParse(args, { error: describeIssue });
  if (parsed.success) return { ok: true, value: parsed.data as BuiltinToolArgs<N> };
  const problems = parsed.error.issues.map((i) =>
    i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message,
  );
  return { ok: false, error: `invalid arguments for ${name}: ${problems.join('; ')}` };
}

/** Shorter, model-friendly wording for the commonest mistakes; zod's defaults for the rest. */
function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
  if ((issue.code === 'invalid_type' || issue.code === 'invalid_union') && issue.input === undefined)
    return 'Required';
  if (issue.code === 'invalid_type') return `expected ${issue.expected}, got ${jsonTypeOf(issue.input)}`;
  // The only unions here are ids.
  if (issue.code === 'invalid_union') return `expected a string or number id, got ${jsonTypeOf(issue.input)}`;
  if (issue.code === 'unrecognized_keys')
    return `unknown field(s) ${issue.keys.map((k) => `'${k}'`).join(', ')}; remove them`;
  return undefined;
}

function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}
