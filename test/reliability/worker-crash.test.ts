/**
 * "No turn lost, nothing written twice" under the worst thing that can happen to a worker: SIGKILL
 * at a chosen moment (during a model call, during a tool write, between tool calls, during the
 * reply post, or at random), then a fresh worker process. Small version of scenario 1; the large
 * one (N=200) is `npm run reliability`.
 */
import { runWorkerCrash } from './lib/worker-crash';

jest.setTimeout(150_000);

describe('reliability: worker crashes (SIGKILL mid-turn)', () => {
  it('20 turns with tool calls and 6 kills: every turn completes, every write exactly once, no secret anywhere', async () => {
    const bundlePath = process.env.CLASPER_TEST_WORKFLOW_BUNDLE;
    const temporalAddress = process.env.CLASPER_TEST_TEMPORAL_ADDRESS;
    if (!bundlePath || !temporalAddress)
      throw new Error('the jest global setup did not start Temporal / bundle workflows');

    const figures = await runWorkerCrash({
      n: 20,
      kills: 6,
      bundlePath,
      temporalAddress,
      submitEveryMs: 200,
    });

    // The notes carry the seed, to repeat a failing run's choices.
    expect({ problems: figures.problems, notes: figures.notes }).toEqual({
      problems: [],
      notes: figures.notes,
    });
    expect(figures).toMatchObject({
      n: 20,
      completed: 20,
      lost: 0,
      missingWrites: 0,
      duplicated: 0,
      unexpectedWrites: 0,
    });
    // The kills really happened, aimed at their moments (a moment that never came counts as random).
    expect(Object.values(figures.faults).reduce((a, b) => a + b, 0)).toBe(6);
  });
});
