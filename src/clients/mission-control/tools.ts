/**
 * The model's tools over Mission Control (docs/contract.md, "Tools"): the four built-ins plus whatever the
 * backend lists at `GET /api/tools`. Mistakes the model can fix (bad JSON, bad arguments) come
 * back as `{ok: false}` outcomes; backend failures are thrown as the classified ApplicationFailure,
 * so Temporal retries the retryable ones and the workflow reports the rest to the model.
 */
import type { ToolOutcome, ToolSpec } from '../../shared/types';
import { capToolResult } from '../../shared/tool-result';
import { toToolSpecs } from './backend-tools';
import type { MissionControlClient } from './client';
import type { AgentIdentity, CallOptions } from './types';
import {
  builtinToolSpecs,
  isBuiltinTool,
  parseToolArgs,
  type BuiltinToolArgs,
  type BuiltinToolName,
} from './tool-schemas';

export { builtinToolSpecs } from './tool-schemas';
export { MAX_TOOL_RESULT_BYTES } from '../../shared/tool-result';

export interface RunToolInput {
  name: string;
  /** The model's raw `function.arguments` string. */
  argumentsJson: string;
  /** `<workflowId>/<activityId>`: the same call retried writes once. */
  idempotencyKey: string;
}

/** Built-ins, then the backend's tools when its capabilities offer them; a name clash keeps the built-in. */
export async function listTools(
  client: MissionControlClient,
  identity: AgentIdentity,
  opts: CallOptions = {},
): Promise<ToolSpec[]> {
  return (await listTurnTools(client, identity, [], opts)).tools;
}

/**
 * The tools of one turn, and which of them wait for a person's approval: backend tools listed
 * with `requires_approval: true`, and any tool named in `approvalTools` (CLASPER_APPROVAL_TOOLS).
 */
export async function listTurnTools(
  client: MissionControlClient,
  identity: AgentIdentity,
  approvalTools: readonly string[],
  opts: CallOptions = {},
): Promise<{ tools: ToolSpec[]; approvalRequired: string[] }> {
  const builtins = builtinToolSpecs();
  const capabilities = await client.capabilities(identity, opts);
  const entries = capabilities.features.tools ? await client.listBackendToolEntries(identity, opts) : [];
  const taken = new Set(builtins.map((t) => t.function.name));
  const tools = [...builtins, ...toToolSpecs(entries).filter((t) => !taken.has(t.function.name))];
  const named = new Set([...approvalTools, ...entries.filter((e) => e.requires_approval).map((e) => e.name)]);
  return { tools, approvalRequired: tools.map((t) => t.function.name).filter((n) => named.has(n)) };
}

export async function runTool(
  client: MissionControlClient,
  identity: AgentIdentity,
  input: RunToolInput,
  opts: CallOptions = {},
): Promise<ToolOutcome> {
  const args = parseArgumentsJson(input.argumentsJson);
  if (!args.ok) return toolError(args.error);
  if (!isBuiltinTool(input.name)) {
    const result = await client.runBackendTool(identity, input.name, args.value, {
      ...opts,
      idempotencyKey: input.idempotencyKey,
    });
    return toolResult(result);
  }
  return runBuiltin(input.name, args.value, { client, identity, idempotencyKey: input.idempotencyKey, opts });
}

interface ToolContext {
  client: MissionControlClient;
  identity: AgentIdentity;
  idempotencyKey: string;
  opts: CallOptions;
}

/** One line per built-in: validated arguments in, the backend's answer out. Writes carry the key. */
const executors: {
  [N in BuiltinToolName]: (ctx: ToolContext, args: BuiltinToolArgs<N>) => Promise<unknown>;
} = {
  list_tasks: (c, args) => c.client.listTasks(c.identity, args, c.opts),
  create_task: (c, args) => c.client.createTask(c.identity, args, c.idempotencyKey, c.opts),
  post_message: (c, args) =>
    c.client.postMessage(
      c.identity,
      { ...args, actor_type: 'agent', agent_role: c.identity.role },
      c.idempotencyKey,
      c.opts,
    ),
  create_document: (c, args) => c.client.createDocument(c.identity, args, c.idempotencyKey, c.opts),
};

async function runBuiltin<N extends BuiltinToolName>(
  name: N,
  rawArgs: Record<string, unknown>,
  ctx: ToolContext,
): Promise<ToolOutcome> {
  const args = parseToolArgs(name, rawArgs);
  if (!args.ok) return toolError(args.error);
  return toolResult(await executors[name](ctx, args.value));
}

function parseArgumentsJson(
  text: string,
): { ok: true; value: Record<string, unknown> } | { ok: false; error: string } {
  // Models send "" for a tool without parameters.
  if (text.trim() === '') return { ok: true, value: {} };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return {
      ok: false,
      error: `arguments are not valid JSON: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
    return { ok: false, error: `arguments must be a JSON object, got ${got}` };
  }
  return { ok: true, value: value as Record<string, unknown> };
}

function toolResult(result: unknown): ToolOutcome {
  return { ok: true, content: capToolResult(JSON.stringify(result ?? null)) };
}

function toolError(error: string): ToolOutcome {
  return { ok: false, error, content: JSON.stringify({ error }) };
}
