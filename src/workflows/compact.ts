/**
 * compactConversation (POST /compact): older turns of a conversation → one summary message from
 * the cheap model (LLM_MODEL_CHEAP, else the default), the most recent turns kept as they are.
 * A workflow rather than a call in the route so the model call gets Temporal's retries and the
 * run shows in the UI as `compact/<uuid>`.
 */
import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import { budgetFor } from '../shared/budget';
import type { Activities } from '../activities';
import {
  COMPACT_TEMPERATURE,
  splitForCompaction,
  summaryMessage,
  summaryRequest,
  type CompactInput,
  type CompactResult,
} from '../shared/compact';
import { ZERO_USAGE } from '../shared/turn';
import { modelCalls } from './lib/activity-options';

// Same budget as a turn's model step: the request times out per LLM_REQUEST_TIMEOUT_SEC, five attempts with backoff.
const model = proxyActivities<Activities>(modelCalls());

export async function compactConversation(input: CompactInput): Promise<CompactResult> {
  const { older, recent } = splitForCompaction(input.messages, input.keepRecent);
  if (older.length === 0) {
    return {
      status: 'ok',
      compacted_messages: recent,
      usage: ZERO_USAGE,
      original_count: input.messages.length,
      compacted_count: recent.length,
    };
  }
  const answer = await model.callModel.executeWithOptions({ summary: `summarise ${older.length} messages` }, [
    {
      messages: summaryRequest(older, input.instructions),
      tier: 'cheap',
      temperature: COMPACT_TEMPERATURE,
      ...budgetFor(input.userId),
    },
  ]);
  const summary = answer.content?.trim() ?? '';
  if (!summary) {
    // Replacing the history with an empty summary would lose it; fail visibly instead.
    throw ApplicationFailure.nonRetryable('the model returned an empty summary', 'Compact.EmptySummary');
  }
  const compacted = [summaryMessage(summary), ...recent];
  return {
    status: 'ok',
    compacted_messages: compacted,
    usage: answer.usage,
    original_count: input.messages.length,
    compacted_count: compacted.length,
  };
}
