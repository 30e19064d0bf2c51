/**
 * The pure parts of POST /compact (docs/architecture.md, "Compact and LLM task"): which messages
 * are summarised, the request sent to the cheap model, and the summary message that replaces them.
 * Workflow-safe: no Node imports.
 */
import type { HistoryMessage } from './turn';
import type { ChatMessage, Usage } from './types';

export const DEFAULT_KEEP_RECENT = 2;
/** A summary should stay put, not wander: low, but not zero, as in the original. */
export const COMPACT_TEMPERATURE = 0.3;
export const SUMMARY_PREFIX = '[Previous conversation summary]';

export interface CompactInput {
  messages: HistoryMessage[];
  instructions?: string;
  keepRecent: number;
  /** The user whose budget the summary's model call is charged to (optional in the API). */
  userId?: string;
}

export interface CompactResult {
  status: 'ok';
  compacted_messages: HistoryMessage[];
  usage: Usage;
  original_count: number;
  compacted_count: number;
}

/**
 * The messages to summarise and the ones kept verbatim. `keepRecent: 0` summarises everything (the
 * original's `slice(0, -0)` summarised nothing); `keepRecent >= length` summarises nothing.
 */
export function splitForCompaction(
  messages: readonly HistoryMessage[],
  keepRecent: number,
): { older: HistoryMessage[]; recent: HistoryMessage[] } {
  const cut = Math.max(0, messages.length - Math.max(0, keepRecent));
  return { older: messages.slice(0, cut), recent: messages.slice(cut) };
}

export const COMPACT_SYSTEM_PROMPT =
  'You compact conversations between a user and an AI agent. Write a concise summary that keeps every ' +
  'fact, decision, name, number, open question and commitment the agent needs to continue the ' +
  'conversation. Answer with the summary only: no preamble, no closing remarks.';

/** The model request: older turns as `ROLE: content` blocks, then the caller's instructions, if any. */
export function summaryRequest(older: readonly HistoryMessage[], instructions?: string): ChatMessage[] {
  const transcript = older.map((m) => `${m.role.toUpperCase()}: ${m.content}`).join('\n\n');
  const extra = instructions?.trim() ? `\n\nAdditional instructions: ${instructions.trim()}` : '';
  return [
    { role: 'system', content: COMPACT_SYSTEM_PROMPT },
    { role: 'user', content: `Summarise this conversation:\n\n${transcript}${extra}` },
  ];
}

/** A system message, which send folds into the system prompt (`## Conversation Context`). */
export function summaryMessage(summary: string): HistoryMessage {
  return { role: 'system', content: `${SUMMARY_PREFIX}\n${summary.trim()}` };
}
