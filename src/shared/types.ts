/**
 * Plain-JSON shapes that cross the workflow ⇄ activity ⇄ API boundaries. Workflow-safe: types
 * only. Payloads carry ids and text, never secrets (the agent JWT is minted inside activities).
 */

export type Trigger = 'api' | 'dispatcher' | 'heartbeat' | 'standup';

/** OpenAI chat-completions tool call, as the model returns it. */
export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** OpenAI chat-completions message subset we send. */
export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls?: ToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

/** A tool offered to the model (OpenAI function-tool format). */
export interface ToolSpec {
  type: 'function';
  function: { name: string; description: string; parameters: Record<string, unknown> };
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface CallModelInput {
  messages: ChatMessage[];
  tools?: ToolSpec[];
  /** Which configured model to use; the worker's config names it, so workflows never see env. */
  tier: 'default' | 'fallback' | 'cheap';
  temperature?: number;
  maxTokens?: number;
  /** Ask for a JSON object answer (`response_format: json_object`). */
  json?: boolean;
  /**
   * An answer with neither text nor tool calls is a retryable `Model.EmptyAnswer` instead of a
   * result: set by agent turns, which would otherwise post an empty reply.
   */
  rejectEmpty?: boolean;
  /**
   * Bounds on the answer's tool calls, so the activity's result (which lands in history) stays
   * small whatever the model sends: the first calls that fit keep their arguments, later ones keep
   * only id and name (`clipAnswer` in shared/answer-clip.ts). Absent: nothing is clipped.
   */
  clip?: AnswerClip;
  /** Stream the answer's text to the calling workflow's stream log as it is written (shared/stream.ts). */
  stream?: { step: number };
  /** Check the user's budget before the call and charge the call to it (shared/budget.ts). */
  budget?: { userId: string };
}

export interface AnswerClip {
  /** Calls kept whole at most (the turn runs no more than this per answer anyway). */
  maxToolCalls: number;
  /** UTF-8 bytes of text and arguments kept whole at most. */
  maxBytes: number;
}

export interface CallModelResult {
  /** The model that actually answered. */
  model: string;
  content: string | null;
  toolCalls: ToolCall[];
  finishReason: string | null;
  usage: Usage;
  /** USD for this call from the pricing table; null when the model is not in it. */
  cost: number | null;
  /** Set when the answer was clipped: how many leading tool calls kept their arguments. */
  intactToolCalls?: number;
}

export interface ToolOutcome {
  ok: boolean;
  /** What is fed back to the model: the result JSON (capped) or an error sentence. */
  content: string;
  error?: string;
}

export interface TurnToolCall {
  name: string;
  ok: boolean;
  error?: string;
}

export interface WorkspaceSummary {
  systemPrompt: string;
  /** sha256 of the files that went into the prompt, to tell which workspace version a turn saw. */
  hash: string;
  chars: number;
  estimatedTokens: number;
  files: { name: string; chars: number; truncated: boolean }[];
}
