/**
 * llmTask (POST /llm-task): one prompt → one JSON value, checked against the caller's JSON Schema.
 * An answer that is not JSON or does not match gets one more model call with the problem fed
 * back; a second bad answer fails the workflow with a non-retryable `LlmTask.InvalidOutput`
 * (the API answers 502 with the reason). Runs as a workflow (`llm-task/<uuid>`) for Temporal's
 * retries of the model call and a record in the UI.
 */
import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import { budgetFor } from '../shared/budget';
import type { Activities } from '../activities';
import {
  LLM_TASK_MAX_ATTEMPTS,
  LlmTaskFailure,
  llmTaskMessages,
  retryMessages,
  wantsJsonObjectMode,
  type LlmTaskInput,
  type LlmTaskResult,
} from '../shared/llm-task';
import { addCost, addUsage, ZERO_USAGE } from '../shared/turn';
import type { ChatMessage, Usage } from '../shared/types';
import { LOCAL_READS, modelCalls } from './lib/activity-options';

// Same budget as a turn's model step: the request times out per LLM_REQUEST_TIMEOUT_SEC, five attempts with backoff.
const model = proxyActivities<Activities>(modelCalls());

// Parsing and schema checks are local CPU work; a failure here is a bug, so few attempts.
const local = proxyActivities<Activities>(LOCAL_READS);

export async function llmTask(input: LlmTaskInput): Promise<LlmTaskResult> {
  let messages: ChatMessage[] = llmTaskMessages(input);
  let usage: Usage = ZERO_USAGE;
  let cost: number | null = 0;
  let problem = '';
  for (let attempt = 1; attempt <= LLM_TASK_MAX_ATTEMPTS; attempt++) {
    const answer = await model.callModel.executeWithOptions(
      { summary: attempt === 1 ? 'llm task' : `llm task, attempt ${attempt} after: ${problem.slice(0, 80)}` },
      [
        {
          messages,
          tier: input.tier,
          temperature: input.temperature,
          maxTokens: input.maxTokens,
          json: wantsJsonObjectMode(input.schema),
          ...budgetFor(input.userId),
        },
      ],
    );
    usage = addUsage(usage, answer.usage);
    cost = addCost(cost, answer.cost);
    const text = answer.content ?? '';
    const checked = await local.validateJson.executeWithOptions({ summary: 'validate the answer' }, [
      { text, schema: input.schema },
    ]);
    if (checked.ok) {
      return {
        status: 'ok',
        output: checked.value,
        usage,
        cost,
        validated: input.schema !== undefined,
        model: answer.model,
        attempts: attempt,
      };
    }
    problem = checked.error;
    messages = retryMessages(messages, text, problem);
  }
  throw ApplicationFailure.create({
    message: `the model's answer was unusable after ${LLM_TASK_MAX_ATTEMPTS} attempts: ${problem}`,
    type: LlmTaskFailure.InvalidOutput,
    nonRetryable: true,
    details: [{ usage, cost }],
  });
}
