/**
 * What an AgentTurn accumulates as its loop runs: the conversation sent to the model, usage and
 * cost summed over model calls, the model that answered last, the last text seen and every tool
 * call's outcome. The workflow keeps one ledger per turn and reads the result from it; the step
 * decision (answer or run tools) is made here too. Pure and workflow-safe, unit-tested on its own.
 */
import {
  addCost,
  addUsage,
  capNote,
  withUniqueToolCallIds,
  ZERO_USAGE,
  type AgentTurnInput,
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

export class TurnLedger {
  readonly messages: ChatMessage[];
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
  }

  recordAnswer(answer: CallModelResult): void {
    this.usage = addUsage(this.usage, answer.usage);
    this.cost = addCost(this.cost, answer.cost);
    this.model = answer.model;
    if (answer.content) this.lastText = answer.content;
  }

  /** The assistant's tool-call message, then one tool message per call, in the calls' order. */
  recordToolRound(assistantContent: string | null, calls: ToolCall[], outcomes: ToolOutcome[]): void {
    this.messages.push({ role: 'assistant', content: assistantContent, tool_calls: calls });
    calls.forEach((call, i) => {
      const outcome = outcomes[i] as ToolOutcome;
      this.messages.push({ role: 'tool', tool_call_id: call.id, content: outcome.content });
      this.toolCalls.push({
        name: call.function.name,
        ok: outcome.ok,
        ...(outcome.error ? { error: outcome.error } : {}),
      });
    });
  }

  /** The reply of a turn that hit the iteration cap: the last text seen plus a note saying why. */
  cappedResponse(maxToolIterations: number): string {
    return [this.lastText, capNote(maxToolIterations)].filter(Boolean).join('\n\n');
  }
}

/** Characters of the conversation the workspace's context warning counts beside the prompt. */
export function conversationChars(input: Pick<AgentTurnInput, 'history'>, prompt: string): number {
  return input.history
    .filter((m) => m.role !== 'system')
    .reduce((n, m) => n + m.content.length, prompt.length);
}
