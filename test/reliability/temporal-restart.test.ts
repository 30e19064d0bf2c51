/**
 * Scenario 2, small version: the Temporal dev server (our own, with a SQLite file) is stopped and
 * started again twice while 20 turns are in flight. Every turn completes after it returns, every
 * write exactly once, and nothing secret is in any history or log line.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runTemporalRestart } from './lib/temporal-restart';

jest.setTimeout(120_000);

describe('reliability: Temporal restart with turns in flight', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clasper-restart-'));
  });
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('20 turns, 2 restarts of the dev server: all complete after it returns, every write once', async () => {
    const bundlePath = process.env.CLASPER_TEST_WORKFLOW_BUNDLE;
    if (!bundlePath) throw new Error('the jest global setup did not bundle the workflows');

    const figures = await runTemporalRestart({
      n: 20,
      restarts: 2,
      bundlePath,
      dbFilename: path.join(dir, 'temporal.db'),
      downMs: 1_500,
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
  });
});
