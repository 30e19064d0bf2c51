/** The ApplicationFailure a promise rejects with; anything else (or success) fails the test. */
import { ApplicationFailure } from '@temporalio/common';

export async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApplicationFailure) return err;
    throw err;
  }
  throw new Error('expected the call to fail with an ApplicationFailure');
}
