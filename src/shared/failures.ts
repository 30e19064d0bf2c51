/**
 * Reading a Temporal failure chain. A failed turn reaches its reader wrapped: the client sees
 * WorkflowFailedError → (ChildWorkflowFailure →) ActivityFailure → ApplicationFailure, and only the
 * innermost failure says what happened (`MissionControl.NotFound: task 42 does not exist`). One
 * module for every reader (workflows, API, scripts, CLI), so they all show the same cause.
 * Workflow-safe: @temporalio/common only.
 */
import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure } from '@temporalio/common';

/** The failure that only wraps another (its message is "Activity task failed" and the like). */
function isWrapper(err: unknown): err is Error & { cause: unknown } {
  if (!(err instanceof Error) || err.cause === undefined) return false;
  if (err instanceof ActivityFailure || err instanceof ChildWorkflowFailure) return true;
  // The client's WorkflowFailedError lives in @temporalio/client, which workflow code cannot import.
  return err.name === 'WorkflowFailedError';
}

/** The innermost failure of the chain: what actually went wrong. */
export function innermostFailure(err: unknown): unknown {
  let cur = err;
  while (isWrapper(cur)) cur = cur.cause;
  return cur;
}

/** The ApplicationFailure type at the root of the chain (`Model.BadRequest`), if there is one. */
export function failureType(err: unknown): string | undefined {
  const cause = innermostFailure(err);
  return cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
}

/** True when the chain ends in a failure of this type. */
export function isFailureOfType(err: unknown, type: string): boolean {
  return failureType(err) === type;
}

/**
 * The first details entry of the root failure when its type is one of a family (`Model.`,
 * `MissionControl.`): each client says what its details hold and reads them through this.
 */
export function rootFailureDetails(err: unknown, typePrefix: string): unknown {
  const cause = innermostFailure(err);
  if (!(cause instanceof ApplicationFailure) || !cause.type?.startsWith(typePrefix)) return undefined;
  return cause.details?.[0];
}

/** True when the root failure said retrying cannot help (a 4xx, a bad input). */
export function isNonRetryableFailure(err: unknown): boolean {
  const cause = innermostFailure(err);
  return cause instanceof ApplicationFailure && cause.nonRetryable === true;
}

/** The root failure's message, for logs, webhooks and error bodies. */
export function describeFailure(err: unknown): string {
  const cause = innermostFailure(err);
  return cause instanceof Error ? cause.message : String(cause);
}
