/**
 * Scenario 4, small version: one turn per kind of model misbehaviour (429 bursts with
 * Retry-After, 500s, dropped connections, a dead primary model, malformed tool-call JSON, a
 * hallucinated tool, empty answers, an exhausted quota). Each reaches its defined outcome — a
 * completed turn, or a failed one whose reason the Temporal UI shows — within the deadline, and
 * every activity in every history had a bounded retry policy.
 */
import { MODEL_FAULT_KINDS, runModelFaults } from './lib/model-faults';

jest.setTimeout(120_000);

describe('reliability: model faults', () => {
  it('every fault kind ends in its defined terminal state, with bounded retries and a readable reason', async () => {
    const bundlePath = process.env.CLASPER_TEST_WORKFLOW_BUNDLE;
    const temporalAddress = process.env.CLASPER_TEST_TEMPORAL_ADDRESS;
    if (!bundlePath || !temporalAddress)
      throw new Error('the jest global setup did not start Temporal / bundle workflows');

    const figures = await runModelFaults({
      perKind: 1,
      bundlePath,
      temporalAddress,
      settleTimeoutMs: 90_000,
    });

    // The notes carry the seed, to repeat a failing run's choices.
    expect({ problems: figures.problems, notes: figures.notes }).toEqual({
      problems: [],
      notes: figures.notes,
    });
    expect(figures).toMatchObject({
      n: MODEL_FAULT_KINDS.length,
      completed: MODEL_FAULT_KINDS.length - 2,
      lost: 0,
      duplicated: 0,
      missingWrites: 0,
    });
  });
});
