/**
 * What an AgentTurn accumulates as its loop runs: the conversation sent to the model, usage and
 * cost summed over model calls, the model that answered last, the last text seen and every tool
 * call's outcome. The workflow keeps one ledger per turn and reads the result from it; the step
 * decision (answer or run tools) is made here too. Pure and workflow-safe, unit-tested on its own.
 */
import { utf8Length } from '../../shared/tool-result';
import {
  addCost,
  addUsage,
  capNote,
  withUniqueToolCallIds,
  ZERO_USAGE,
  type AgentTurnInput,
  type TurnLimits,
} from '../../shared/turn';
import type {
  CallModelResult,
  ChatMessage,
  ToolCall,
  ToolOutcome,
  TurnToolCall,
  Usage,
} from '../../shared/types';

/** What one model step tells the loop to do next. */
export type StepDecision =
  | { kind: 'answer'; text: string }
  /** Run these calls (ids made unique within the answer), feed the results back, take another step. */
  | { kind: 'run-tools'; calls: ToolCall[] };

export function decideStep(answer: CallModelResult): StepDecision {
  if (answer.toolCalls.length === 0) return { kind: 'answer', text: answer.content ?? '' };
  // Ids become activity ids: an id repeated in one answer (some servers send empty ones) would
  // schedule two activities with one id, which the server refuses, and the turn would hang.
  return { kind: 'run-tools', calls: withUniqueToolCallIds(answer.toolCalls) };
}

/** The calls of one answer that run, and the ones refused (with the tool error the model reads). */
export interface ToolRoundPlan {
  run: ToolCall[];
  refused: { call: ToolCall; error: string }[];
}

/**
 * Which calls of one answer run under the per-step and per-turn caps (the first ones win), and
 * the tool error each refused call gets. `intact`: how many leading calls kept their arguments
 * when the model activity clipped the answer (shared/answer-clip.ts).
 */
export function planToolRound(
  calls: ToolCall[],
  limits: TurnLimits,
  alreadyRun: number,
  intact: number = calls.length,
): ToolRoundPlan {
  const turnRoom = Math.max(0, limits.maxToolCallsPerTurn - alreadyRun);
  const room = Math.min(limits.maxToolCallsPerStep, turnRoom, intact);
  const why =
    room === turnRoom && turnRoom < limits.maxToolCallsPerStep
      ? `this turn has used its ${limits.maxToolCallsPerTurn} tool calls (CLASPER_MAX_TOOL_CALLS_PER_TURN); answer with what you have`
      : room === intact && intact < limits.maxToolCallsPerStep
        ? `the answer's tool-call arguments passed the ${Math.floor(limits.maxTurnBytes / 1024)} KB a turn may carry (CLASPER_MAX_TURN_BYTES); ask for less per call`
        : `at most ${limits.maxToolCallsPerStep} tool calls run per answer (CLASPER_MAX_TOOL_CALLS_PER_STEP); ask for the rest in your next answer`;
  const refused = calls.slice(room).map((call) => ({ call, error: `not run: ${why}` }));
  return { run: calls.slice(0, room), refused };
}

export class TurnLedger {
  readonly messages: ChatMessage[];
  /** UTF-8 bytes of everything in `messages`: what the next model step will be fed. */
  bytes = 0;
  /** Tool calls that ran (not the refused ones), for the per-turn cap. */
  toolCallsRun = 0;
  usage: Usage = ZERO_USAGE;
  cost: number | null = 0;
  model = '';
  /** The last non-empty text the model wrote: what a capped turn answers with. */
  lastText = '';
  readonly toolCalls: TurnToolCall[] = [];

  /** The conversation of the first model step: system prompt, prior turns, the user's prompt. */
  constructor(systemPrompt: string, history: AgentTurnInput['history'], prompt: string) {
    this.messages = [
      { role: 'system', content: systemPrompt },
      ...history
        .filter((m) => m.role !== 'system')
        .map((m): ChatMessage => ({ role: m.role as 'user' | 'assistant', content: m.content })),
      { role: 'user', content: prompt },
    ];
    this.bytes = this.messages.reduce((n, m) => n + messageBytes(m), 0);
  }

  recordAnswer(answer: CallModelResult): void {
    this.usage = addUsage(this.usage, answer.usage);
    this.cost = addCost(this.cost, answer.cost);
    this.model = answer.model;
    if (answer.content) this.lastText = answer.content;
  }

  /** The assistant's tool-call message, then one tool message per call, in the calls' order. */
  recordToolRound(assistantContent: string | null, calls: ToolCall[], outcomes: ToolOutcome[]): void {
    this.push({ role: 'assistant', content: assistantContent, tool_calls: calls });
    calls.forEach((call, i) => {
      const outcome = outcomes[i] as ToolOutcome;
      this.push({ role: 'tool', tool_call_id: call.id, content: outcome.content });
      this.toolCalls.push({
        name: call.function.name,
        ok: outcome.ok,
        ...(outcome.error ? { error: outcome.error } : {}),
      });
    });
  }

  /** A message steered into the running turn (a session's `steer`): the next model step reads it. */
  recordSteered(message: string): void {
    this.push({ role: 'user', content: message });
  }

  /** A final answer that did not end the turn, because a steered message arrived while it was written. */
  recordInterimAnswer(text: string): void {
    this.push({ role: 'assistant', content: text });
  }

  /** True when the conversation no longer fits what a turn may feed the model. */
  overBudget(limits: TurnLimits): boolean {
    return this.bytes > limits.maxTurnBytes;
  }

  private push(message: ChatMessage): void {
    this.messages.push(message);
    this.bytes += messageBytes(message);
  }

  /** The reply of a turn that hit the iteration cap: the last text seen plus a note saying why. */
  cappedResponse(maxToolIterations: number): string {
    return this.withNote(capNote(maxToolIterations));
  }

  /** The last text seen, then a note saying why the turn stopped. */
  withNote(note: string): string {
    return [this.lastText, note].filter(Boolean).join('\n\n');
  }
}

/** Characters of the conversation the workspace's context warning counts beside the prompt. */
export function conversationChars(input: Pick<AgentTurnInput, 'history'>, prompt: string): number {
  return input.history
    .filter((m) => m.role !== 'system')
    .reduce((n, m) => n + m.content.length, prompt.length);
}

/** Bytes a message adds to the model's input: its text, and for tool calls their names and arguments. */
function messageBytes(m: ChatMessage): number {
  const calls =
    m.role === 'assistant' && m.tool_calls
      ? m.tool_calls.reduce((n, c) => n + utf8Length(c.function.name) + utf8Length(c.function.arguments), 0)
      : 0;
  return utf8Length(m.content ?? '') + calls;
}
