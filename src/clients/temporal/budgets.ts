/**
 * Reading and updating a user's Budget workflow (src/workflows/budget.ts), for the API's budget
 * endpoints and send check and for the model activity's check and charge. Updates are
 * update-with-start, so the first charge or override of a user starts the workflow.
 */
import {
  WithStartWorkflowOperation,
  WorkflowNotFoundError,
  type Client,
  type WorkflowUpdateOptions,
} from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { makeBudgetWorkflowId, budgetQuery, type BudgetState } from '../../shared/budget';
import { ClasperUserId } from '../../shared/search-attributes';
import { DEFAULT_TIMEOUT_SETTINGS, executionTimeoutMs } from '../../shared/timeouts';
import { WorkflowType, type BudgetWorkflow } from '../../shared/workflow-types';

/**
 * The user's budget state; undefined when the user has none yet (no override, nothing charged). A
 * run that ended with its day answers from its last state (yesterday's counts, no override).
 */
export async function readBudget(client: Client, userId: string): Promise<BudgetState | undefined> {
  try {
    return await client.workflow.getHandle(makeBudgetWorkflowId(userId)).query(budgetQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/**
 * One update of the user's budget workflow, starting it when it does not run yet. A run that ends
 * with its day between the start check and the update is started again by the second try.
 */
export async function updateBudget<Args extends unknown[]>(
  client: Client,
  opts: { taskQueue: string; userId: string; updateId?: WorkflowUpdateOptions['updateId'] },
  update: UpdateDefinition<BudgetState, Args>,
  ...args: Args
): Promise<BudgetState> {
  // One operation per call: the SDK lets each be used once.
  const attempt = () =>
    client.workflow.executeUpdateWithStart(update, {
      args,
      startWorkflowOperation: new WithStartWorkflowOperation<BudgetWorkflow>(WorkflowType.budget, {
        workflowId: makeBudgetWorkflowId(opts.userId),
        taskQueue: opts.taskQueue,
        args: [{ userId: opts.userId }],
        workflowIdConflictPolicy: 'USE_EXISTING',
        // Per run: a run lasts its UTC day (src/shared/timeouts.ts); the settings do not change it.
        workflowRunTimeout: executionTimeoutMs(WorkflowType.budget, DEFAULT_TIMEOUT_SETTINGS),
        typedSearchAttributes: [{ key: ClasperUserId, value: opts.userId }],
        staticSummary: `budget of ${opts.userId}`,
      }),
      ...(opts.updateId ? { updateId: opts.updateId } : {}),
    });
  try {
    return await attempt();
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    return attempt();
  }
}
