/**
 * Backend-defined tools (`GET /api/tools`, `POST /api/tools/{name}`). They are deterministic on
 * purpose: end-to-end tests can assert a model's tool call produced an exact result. Each tool's
 * zod schema is both the validator and the source of the JSON Schema the model sees, so the two
 * cannot drift. `publish_announcement` writes to the store and is listed with
 * `requires_approval: true`: the runtime asks a person before it runs.
 */
import { z } from 'zod';
import { HttpError, parseOrThrow } from './errors';
import { type Store } from './store';

/** What a tool may touch: the caller's user id and the store (for tools with side effects). */
export interface ToolContext {
  userId: string;
  store: Store;
}

interface ToolDefinition<S extends z.ZodType = z.ZodType> {
  name: string;
  description: string;
  input: S;
  /** Listed as `requires_approval: true`: an agent runtime must get a person's yes first. */
  requiresApproval?: boolean;
  run: (args: z.output<S>, ctx: ToolContext) => Record<string, unknown>;
}

// Inference per tool; the registry below erases the type parameter.
function defineTool<S extends z.ZodType>(tool: ToolDefinition<S>): ToolDefinition {
  return tool as unknown as ToolDefinition;
}

export const TOOLS: readonly ToolDefinition[] = [
  defineTool({
    name: 'echo',
    description: 'Returns the given text unchanged. Useful to check that tool calling works end to end.',
    input: z.strictObject({ text: z.string().describe('Text to echo back') }),
    run: ({ text }) => ({ text }),
  }),
  defineTool({
    name: 'add_numbers',
    description: 'Adds two numbers and returns their sum.',
    input: z.strictObject({
      a: z.number().describe('First addend'),
      b: z.number().describe('Second addend'),
    }),
    run: ({ a, b }) => ({ sum: a + b }),
  }),
  defineTool({
    name: 'word_count',
    description: 'Counts the whitespace-separated words and the characters of a text.',
    input: z.strictObject({ text: z.string().describe('Text to count') }),
    run: ({ text }) => {
      const trimmed = text.trim();
      return { words: trimmed === '' ? 0 : trimmed.split(/\s+/).length, characters: text.length };
    },
  }),
  defineTool({
    name: 'publish_announcement',
    description:
      "Publishes an announcement to everyone on the user's team. Visible to all of them at once, so a person approves it first.",
    input: z.strictObject({
      title: z.string().min(1).max(200).describe('Headline of the announcement'),
      body: z.string().max(5000).describe('Text of the announcement'),
    }),
    requiresApproval: true,
    run: (args, { userId, store }) => {
      const published = store.createAnnouncement(userId, args);
      return { announcement_id: published.id, published_at: published.created_at };
    },
  }),
];

export interface ToolListing {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
  requires_approval?: true;
}

/** Listing in the shape LLM function calling wants; `$schema` is dropped because some providers reject it. */
export function listTools(): ToolListing[] {
  return TOOLS.map((tool) => {
    const { $schema: _dialect, ...parameters } = z.toJSONSchema(tool.input) as Record<string, unknown>;
    return {
      name: tool.name,
      description: tool.description,
      parameters,
      ...(tool.requiresApproval ? { requires_approval: true as const } : {}),
    };
  });
}

export function executeTool(name: string, args: unknown, ctx: ToolContext): Record<string, unknown> {
  const tool = TOOLS.find((t) => t.name === name);
  if (!tool) {
    const known = TOOLS.map((t) => t.name).join(', ');
    throw new HttpError(
      404,
      `Tool "${name}" does not exist; GET /api/tools lists the tools (${known})`,
      'tool_not_found',
    );
  }
  const parsed = parseOrThrow(tool.input, args, `arguments for tool "${name}"`, 'arguments');
  return tool.run(parsed, ctx);
}
