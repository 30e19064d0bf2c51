/**
 * Scenario 3, small version: the backend fails a random quarter of all contract calls — 503s,
 * 429s with Retry-After, dropped connections, one answer slower than the client's 30 s timeout,
 * and writes whose response is lost after they happened. Every turn completes and every task,
 * message and document exists exactly once: the test that proves the idempotency keys.
 */
import { runBackendFaults } from './lib/backend-faults';

// ~45-60 s here alone; CI once needed more than 150 s. The turns' own wait ends first, so a turn
// that never completes is reported by id with what it was waiting on, not as a bare jest timeout.
const SETTLE_MS = 180_000;
jest.setTimeout(SETTLE_MS + 60_000);

describe('reliability: backend faults', () => {
  it('20 turns against a faulty backend: all complete, zero duplicates, zero missing', async () => {
    const bundlePath = process.env.CLASPER_TEST_WORKFLOW_BUNDLE;
    const temporalAddress = process.env.CLASPER_TEST_TEMPORAL_ADDRESS;
    if (!bundlePath || !temporalAddress)
      throw new Error('the jest global setup did not start Temporal / bundle workflows');

    const figures = await runBackendFaults({
      n: 20,
      bundlePath,
      temporalAddress,
      slowResponses: 1,
      slowProbability: 0.5,
      settleTimeoutMs: SETTLE_MS,
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
    // The faults really happened, including the one that needs the idempotency keys.
    expect(figures.faults['lost response']).toBeGreaterThan(0);
    expect(figures.faults['503/429']).toBeGreaterThan(0);
    expect(figures.faults['slower than client timeout']).toBe(1);
  });
});
