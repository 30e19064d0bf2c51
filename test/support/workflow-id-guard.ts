/**
 * Every test file shares one Temporal namespace, and our workflow ids are deterministic where the
 * product needs them to be (`session/<session_key>`, `agent-turn/<user>/<idempotency key>`). Two
 * files that use the same id meet in one workflow: a session started by one file runs the other
 * file's turns on its own worker and fake model (or, once that stack stopped, on a task queue no
 * worker polls, so the send hangs and answers 202). Both showed up only under CI's timing.
 *
 * This client interceptor makes the collision a clear error at the call: each workflow id a stack
 * starts is recorded for the jest run with its task queue, and another task queue asking for the
 * same id fails the test with the id to rename. Stacks that share a task queue on purpose (a
 * restarted stack, a second API over one worker) share their ids freely.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { WorkflowClientInterceptor } from '@temporalio/client';

/** Set by the jest global setup: a directory fresh for each run. */
export const RUN_DIR_ENV = 'CLASPER_TEST_RUN_DIR';

export function claimWorkflowId(runDir: string, workflowId: string, taskQueue: string): void {
  const dir = path.join(runDir, 'workflow-ids');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, crypto.createHash('sha256').update(workflowId).digest('hex'));
  try {
    fs.writeFileSync(file, taskQueue, { flag: 'wx' });
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const owner = fs.readFileSync(file, 'utf8');
  if (owner !== taskQueue)
    throw new Error(
      `workflow id '${workflowId}' is already used by another test stack in this run (task queue ${owner}); ` +
        'give this test a user id / session key / idempotency key of its own',
    );
}

/**
 * The guard for a stack's client; a no-op outside a jest run that set RUN_DIR_ENV. The API turns
 * the refused start into a 500, so each refusal is also pushed to `collisions`, which the e2e
 * helpers report after the test.
 */
export function workflowIdGuard(
  collisions: string[],
  runDir = process.env[RUN_DIR_ENV],
): WorkflowClientInterceptor {
  if (!runDir) return {};
  const claim = (options: { workflowId: string; taskQueue: string }) => {
    try {
      claimWorkflowId(runDir, options.workflowId, options.taskQueue);
    } catch (err) {
      collisions.push((err as Error).message);
      throw err;
    }
  };
  return {
    async startWithDetails(input, next) {
      claim(input.options);
      return next(input);
    },
    async startUpdateWithStart(input, next) {
      claim(input.workflowStartOptions);
      return next(input);
    },
    async signalWithStart(input, next) {
      claim(input.options);
      return next(input);
    },
  };
}
