/**
 * The AgentTurn workflow's input and result, and the small pure decisions it makes. Shared by the
 * API (which starts turns) and the workflows (which run them). Workflow-safe: no Node imports.
 */
import type { ToolCall, Trigger, TurnToolCall, Usage } from './types';

export interface HistoryMessage {
  role: 'user' | 'assistant' | 'system';
  content: string;
}

export interface AgentTurnInput {
  userId: string;
  sessionKey: string;
  role: string;
  message: string;
  /**
   * A client streams this turn: the model's text goes to the turn's stream log as it is written.
   * Off, a turn sends no stream signals at all (its log still shows tools and the answer).
   */
  stream?: boolean;
  /** Prior turns from the backend; system turns are folded into the system prompt. */
  history: HistoryMessage[];
  taskId?: string;
  taskTitle?: string;
  taskDescription?: string;
  taskMetadata?: Record<string, unknown>;
  /** Request metadata: kickoff_plan, kickoff_note, plan_title, timezone, system_prompt, free keys. */
  metadata: Record<string, unknown>;
  /** Webhook target: its URL (`url` keeps only the origin), secret and headers travel sealed (clients/webhook/sealed.ts). */
  webhook?: { url: string; sealed?: string };
  trigger: Trigger;
  maxToolIterations: number;
  /** Fan-out and byte bounds; absent in turns started before they existed (defaults apply). */
  limits?: TurnLimits;
  /** When the final answer is exactly this text, nothing is posted (heartbeats: `HEARTBEAT_OK`). */
  silentReply?: string;
  /**
   * Retry timing overrides; absent means the production defaults in
   * src/workflows/lib/activity-options.ts. The HTTP API never sets this. It exists so the
   * end-to-end tests can exercise the real retry → fallback path (5 model attempts, 2 s initial
   * interval, backoff 2: ~30 s) in ~4 s (the server waits at least 1 s between attempts) with the
   * production attempt count, without a test-only workflow. A field in the input (rather than
   * worker env) keeps it visible in the turn's history, so a turn that ran with unusual timings
   * says so.
   */
  timings?: TurnTimings;
}

export interface TurnTimings {
  /** Initial retry interval of the model activity in ms (default 2000; backoff 2, max 60 s, 5 attempts). */
  modelRetryInitialMs?: number;
}

export interface AgentTurnResult {
  status: 'ok';
  turn_id: string;
  task_id: string;
  response: string;
  usage: Usage;
  /** USD; null when a model that answered is not in the pricing table. */
  cost: number | null;
  model: string;
  tool_calls: TurnToolCall[];
  iterations: number;
  /** True when a bound (iterations or bytes) ended the loop before a final answer. */
  capped: boolean;
  /** Which bound, when capped (absent in results of turns that began before byte bounds). */
  stopped_by?: 'max_tool_iterations' | 'max_turn_bytes';
  /** True when the reply was not posted (silent reply matched). */
  posted: boolean;
  message_id?: string;
  document_id?: string;
  workspace_hash: string;
  context_warning?: string;
}

/**
 * What no model answer can make a turn exceed (docs/architecture.md, "Bounded by construction").
 * Temporal refuses more than 2,000 pending activities and payloads over 2 MB, and a workflow task
 * that breaks either fails again on every retry; these keep every turn well inside both.
 */
export interface TurnLimits {
  /** Tool calls run from one model answer (CLASPER_MAX_TOOL_CALLS_PER_STEP); the rest are tool errors. */
  maxToolCallsPerStep: number;
  /** Tool calls run in the whole turn (CLASPER_MAX_TOOL_CALLS_PER_TURN); later ones are tool errors. */
  maxToolCallsPerTurn: number;
  /** Tool calls of one answer running at the same time (CLASPER_TOOL_CONCURRENCY). */
  toolConcurrency: number;
  /**
   * UTF-8 bytes of the conversation the model is fed (CLASPER_MAX_TURN_BYTES): system prompt,
   * messages, tool calls and results. Past it the turn stops like the iteration cap. Every model
   * step carries the conversation in its input, so this also bounds the turn's history.
   */
  maxTurnBytes: number;
  /** How long a tool call waits for approval before it counts as denied (CLASPER_APPROVAL_TIMEOUT_SEC). */
  approvalTimeoutSec: number;
}

export const DEFAULT_TURN_LIMITS: TurnLimits = {
  maxToolCallsPerStep: 16,
  maxToolCallsPerTurn: 64,
  toolConcurrency: 4,
  maxTurnBytes: 256 * 1024,
  approvalTimeoutSec: 86_400,
};

/** Execution timeout of a turn (CLASPER_TURN_TIMEOUT_SEC): every retry window fits well inside. */
export const DEFAULT_TURN_TIMEOUT_SEC = 30 * 60;

/** Why a turn has no task to reply on: the caller's mistake, answered 400 / 404 by the API. */
export const TaskFailure = {
  /** No task_id, no task_title and no CLASPER_DEFAULT_TASK. */
  NotResolvable: 'Task.NotResolvable',
  /** task_id names no task of the user's in the backend. */
  NotFound: 'Task.NotFound',
} as const;

export const DEFAULT_KICKOFF_NOTE =
  'Write a concise, actionable plan for the request below: numbered steps, owners where obvious, and the first thing to do now.';

/** The user turn sent to the model: with `kickoff_plan`, the kickoff note leads the request. */
export function userPrompt(message: string, metadata: Record<string, unknown>): string {
  if (!metadata.kickoff_plan) return message;
  const note =
    typeof metadata.kickoff_note === 'string' && metadata.kickoff_note.trim()
      ? metadata.kickoff_note
      : DEFAULT_KICKOFF_NOTE;
  return `${note}\n\nUser request: ${message}`;
}

export function planTitle(metadata: Record<string, unknown>): string | undefined {
  if (!metadata.kickoff_plan) return undefined;
  return typeof metadata.plan_title === 'string' && metadata.plan_title.trim() ? metadata.plan_title : 'Plan';
}

export function addUsage(a: Usage, b: Usage): Usage {
  return {
    prompt_tokens: a.prompt_tokens + b.prompt_tokens,
    completion_tokens: a.completion_tokens + b.completion_tokens,
    total_tokens: a.total_tokens + b.total_tokens,
  };
}

export function addCost(a: number | null, b: number | null): number | null {
  return a === null || b === null ? null : Math.round((a + b) * 1e6) / 1e6;
}

export const ZERO_USAGE: Usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };

export function capNote(max: number): string {
  return `[Clasper: the turn stopped after ${max} model steps (CLASPER_MAX_TOOL_ITERATIONS) before the model gave a final answer.]`;
}

export function bytesCapNote(steps: number, bytes: number, max: number): string {
  return `[Clasper: the turn stopped after ${steps} model steps: the conversation reached ${Math.ceil(bytes / 1024)} KB, over the ${Math.floor(max / 1024)} KB a turn may feed the model (CLASPER_MAX_TURN_BYTES), before the model gave a final answer. Ask for less per tool call, or compact the conversation.]`;
}

/**
 * The model's tool calls with ids unique within the answer. Each id names an activity
 * (`tool:<step>:<id>`) and an idempotency key, and a tool result must answer exactly one call, yet
 * OpenAI-compatible servers sometimes repeat ids (or send empty ones). The first use of an id is
 * kept as is (so ids in existing histories never change); a repeat gets `_<index>`.
 */
export function withUniqueToolCallIds(calls: ToolCall[]): ToolCall[] {
  const taken = new Set(calls.map((c) => c.id));
  const seen = new Set<string>();
  return calls.map((call, index) => {
    let id = call.id;
    if (seen.has(id)) {
      const base = id === '' ? 'call' : id;
      id = `${base}_${index}`;
      for (let n = 2; taken.has(id) || seen.has(id); n++) id = `${base}_${index}_${n}`;
    }
    seen.add(id);
    return id === call.id ? call : { ...call, id };
  });
}

/** First line of the message, for the workflow's static summary in the UI. */
export function turnSummary(input: Pick<AgentTurnInput, 'message' | 'role' | 'trigger'>): string {
  const first = input.message.split('\n', 1)[0] ?? '';
  const line = first.length > 120 ? `${first.slice(0, 117)}...` : first;
  return `${input.role} (${input.trigger}): ${line}`;
}
