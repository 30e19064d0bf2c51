/**
 * Running workflows on a task queue whose workflow tasks keep failing (a non-determinism error
 * after a bad deploy, a completion the server refuses, a bug in workflow code): Temporal retries
 * such a task until the run's execution timeout, so without a look here it only shows in worker
 * logs. Read from the server's own flag, the `TemporalReportedProblems` search attribute (server
 * 1.28+), which it sets after `system.numConsecutiveWorkflowTaskProblemsToTriggerSearchAttribute`
 * failed attempts in a row and clears on the next task that succeeds. GET /health?deep=true and the
 * worker's `clasper_workflows_failing_tasks` gauge read it.
 */
import type { Client } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const REPORTED_PROBLEMS_ATTRIBUTE = 'TemporalReportedProblems';
export const REPORTED_PROBLEMS = defineSearchAttributeKey(
  REPORTED_PROBLEMS_ATTRIBUTE,
  SearchAttributeType.KEYWORD_LIST,
);

export interface FailingWorkflow {
  workflow_id: string;
  workflow_type: string;
  /** The server's cause without its prefix, e.g. `NonDeterministicError`, `PayloadsTooLarge`. */
  cause: string;
}

export interface WorkflowTaskProblems {
  /** Running workflows on the queue whose workflow tasks are failing or timing out. */
  count: number;
  /** Of the first `listLimit` of them, how many per cause. */
  byCause: Record<string, number>;
  /** The first few, for an operator to open. */
  sample: FailingWorkflow[];
}

/** The server could not answer the query: too old for the attribute, or visibility is down. */
export class ProblemsUnavailableError extends Error {}

function quote(value: string): string {
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}

export function workflowTaskProblemsQuery(taskQueue: string): string {
  return (
    `TaskQueue = ${quote(taskQueue)} AND ExecutionStatus = "Running" AND ` +
    `${REPORTED_PROBLEMS_ATTRIBUTE} IN ("category=WorkflowTaskFailed", "category=WorkflowTaskTimedOut")`
  );
}

/** `cause=WorkflowTaskFailedCauseNonDeterministicError` → `NonDeterministicError`. */
export function problemCause(list: readonly string[] = []): string {
  const cause = list.find((v) => v.startsWith('cause='));
  const category = list.find((v) => v.startsWith('category='));
  if (cause) return cause.slice('cause='.length).replace(/^WorkflowTask(Failed|TimedOut)Cause/, '');
  return category ? category.slice('category='.length) : 'unknown';
}

export async function findWorkflowTaskProblems(
  client: Client,
  opts: { taskQueue: string; timeoutMs: number; sampleSize?: number; listLimit?: number },
): Promise<WorkflowTaskProblems> {
  const query = workflowTaskProblemsQuery(opts.taskQueue);
  const listLimit = opts.listLimit ?? 100;
  const sampleSize = opts.sampleSize ?? 5;
  try {
    return await client.withDeadline(Date.now() + opts.timeoutMs, async () => {
      const { count } = await client.workflow.count(query);
      const byCause: Record<string, number> = {};
      const sample: FailingWorkflow[] = [];
      let seen = 0;
      for await (const wf of client.workflow.list({ query, pageSize: listLimit })) {
        const cause = problemCause(wf.typedSearchAttributes.get(REPORTED_PROBLEMS));
        byCause[cause] = (byCause[cause] ?? 0) + 1;
        if (sample.length < sampleSize)
          sample.push({ workflow_id: wf.workflowId, workflow_type: wf.type, cause });
        if (++seen >= listLimit) break;
      }
      return { count, byCause, sample };
    });
  } catch (err) {
    throw new ProblemsUnavailableError(
      `could not list workflows with failing workflow tasks (${REPORTED_PROBLEMS_ATTRIBUTE} needs Temporal server 1.28+): ${
        err instanceof Error ? err.message : String(err)
      }`,
    );
  }
}
