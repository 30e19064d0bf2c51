/** `callModel`: one model call through the model client, counted in the worker's metrics. */
import type { CallModelInput, CallModelResult } from '../shared/types';
import type { ModelClient } from '../clients/model/call-model';
import { clipAnswer } from '../shared/answer-clip';
import { callOptions } from './context';
import { recordModelCall } from './metrics';

export function createModelActivities({ model }: { model: ModelClient }) {
  return {
    async callModel(input: CallModelInput): Promise<CallModelResult> {
      const result = await model.callModel(input, callOptions());
      recordModelCall(result);
      // The result lands in history: never more tool calls or bytes than the turn will use.
      return clipAnswer(result, input.clip);
    },
  };
}
