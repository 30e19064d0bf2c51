/**
 * `callModel`: one model call through the model client, counted in the worker's metrics, inside
 * the user's budget when the caller names one (budget.ts).
 */
import type { BudgetGate } from './budget';
import type { CallModelInput, CallModelResult } from '../shared/types';
import type { ModelClient } from '../clients/model/call-model';
import { clipAnswer } from '../shared/answer-clip';
import { callOptions, currentAttempt } from './context';
import { recordModelCall } from './metrics';
import { streamToCallingTurn } from './stream-text';

export function createModelActivities({ model, budget }: { model: ModelClient; budget: BudgetGate }) {
  return {
    async callModel(input: CallModelInput): Promise<CallModelResult> {
      // Over budget: stop before the call (a non-retryable Budget.Exhausted failure).
      const charged = input.budget ? await budget.check(input.budget.userId) : false;
      // A client streams the turn: text goes to the turn's stream log as the model writes it.
      const batcher = input.stream ? streamToCallingTurn(input.stream.step) : undefined;
      let result: CallModelResult;
      try {
        result = await model.callModel(input, {
          ...callOptions(),
          attempt: currentAttempt(),
          ...(batcher ? { onText: (delta: string) => batcher.push(delta) } : {}),
        });
      } finally {
        // Sent before the result, so the log has this attempt's text when the step settles.
        await batcher?.close();
      }
      recordModelCall(result);
      if (charged && input.budget) await budget.charge(input.budget.userId, result);
      // The result lands in history: never more tool calls or bytes than the turn will use.
      return clipAnswer(result, input.clip);
    },
  };
}
