/**
 * The `callModel` activity over the model client: a cancelled activity hands its cancellation
 * signal to the HTTP request, so the call ends as Temporal's own cancellation.
 */
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createBudgetGate } from '../../../src/activities/budget';
import { createModelActivities } from '../../../src/activities/model';
import { createModelClient } from '../../../src/clients/model/call-model';
import type { CallModelInput } from '../../../src/shared/types';
import { useFakeOpenAI } from '../../support/fake-openai';

const fake = useFakeOpenAI();

const input: CallModelInput = { messages: [{ role: 'user', content: 'Hello' }], tier: 'default' };

function activities() {
  const config = { apiKey: 'sk-test-key-0123456789abcdefgh', baseUrl: fake().url, model: 'gpt-4o-mini' };
  return createModelActivities({
    model: createModelClient({ config }),
    budget: createBudgetGate({ tokens_per_day: 0, usd_per_day: 0 }),
  });
}

describe('callModel activity', () => {
  it('answers through the model client, also when called outside an activity (no signal)', async () => {
    fake().script({ text: 'Hi there' });
    const result = await activities().callModel(input);
    expect(result.content).toBe('Hi there');
  });

  it('ends as a cancellation, not a model failure, when the activity is cancelled mid-call', async () => {
    fake().script({ text: 'too late', delayMs: 5000 });
    const env = new MockActivityEnvironment();
    const running = env.run(activities().callModel, input);
    // Cancel only once the request is in flight, so the abort reaches the HTTP call.
    while (fake().requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    env.cancel();

    await expect(running).rejects.toBeInstanceOf(CancelledFailure);
  });
});
