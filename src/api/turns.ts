/**
 * Starting, awaiting and describing AgentTurn workflows: the only place the API talks to Temporal
 * about turns. A turn's id is its workflow id (`agent-turn/<user>/<key>`).
 */
import { randomUUID } from 'node:crypto';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionDescription,
  type WorkflowHandle,
} from '@temporalio/client';
import { type TypedSearchAttributes, type Workflow, type WorkflowResultType } from '@temporalio/common';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import { problemCause, REPORTED_PROBLEMS } from '../clients/temporal/workflow-task-problems';
import { timeoutSettings, type Config } from '../config';
import { executionTimeoutMs, type WorkflowTypeName } from '../shared/timeouts';
import { makeAgentTurnId } from '../shared/ids';
import {
  ClasperAgentRole,
  ClasperSessionKey,
  ClasperTrigger,
  ClasperUserId,
} from '../shared/search-attributes';
import { describeFailure, failureType } from '../shared/failures';
import { TaskFailure, turnSummary, type AgentTurnInput, type AgentTurnResult } from '../shared/turn';
import { WorkflowType, type AgentTurnWorkflow } from '../shared/workflow-types';

export type WorkflowOutcome<T> =
  | { state: 'completed'; result: T }
  | { state: 'failed'; error: string; failureType?: string }
  | { state: 'pending' };

export type TurnOutcome = WorkflowOutcome<AgentTurnResult>;

/** A one-shot workflow the API starts and waits for (compact, llm-task): one input, a fresh id. */
export interface OneShotStart<W extends OneInputWorkflow> {
  workflowId: string;
  input: Parameters<W>[0];
  staticSummary: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the input type is taken from W
type OneInputWorkflow = (input: any) => Promise<unknown>;

/** Failure types that mean the caller asked for something impossible (→ 4xx, not 502). */
const CALLER_ERROR_STATUS: Record<string, 400 | 404> = {
  [TaskFailure.NotResolvable]: 400,
  [TaskFailure.NotFound]: 404,
  'Workspace.InvalidRole': 400,
  'Workspace.InvalidTimezone': 400,
};

/** The 4xx for a turn that failed on the caller's request; undefined for any other outcome. */
export function callerErrorStatus(outcome: TurnOutcome): 400 | 404 | undefined {
  return outcome.state === 'failed' ? CALLER_ERROR_STATUS[outcome.failureType ?? ''] : undefined;
}

export class TurnService {
  constructor(
    private readonly client: Client,
    private readonly config: Config,
  ) {}

  /**
   * Starts the turn, or attaches to the one already started with the same key (running or done),
   * so a repeated request never runs a second turn.
   */
  async start(input: AgentTurnInput, key?: string): Promise<WorkflowHandle<AgentTurnWorkflow>> {
    const workflowId = this.turnIdFor(input.userId, key);
    try {
      return await this.client.workflow.start<AgentTurnWorkflow>(WorkflowType.agentTurn, {
        taskQueue: this.config.temporal.taskQueue,
        workflowId,
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
        // A finished turn with this id is the answer to a repeated key, never a reason to run again.
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        // Nothing runs forever: a turn wedged by anything the bounds did not foresee ends here, and
        // the deadline leaves room for every approval wait a turn may legitimately have.
        workflowExecutionTimeout: this.executionTimeoutMs(),
        typedSearchAttributes: searchAttributesFor(input),
        staticSummary: turnSummary(input),
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        return this.client.workflow.getHandle<AgentTurnWorkflow>(workflowId);
      }
      throw err;
    }
  }

  /**
   * A turn's execution timeout (src/shared/timeouts.ts), the same for a turn started directly and
   * one a session starts.
   */
  executionTimeoutMs(): number {
    return executionTimeoutMs(WorkflowType.agentTurn, timeoutSettings(this.config));
  }

  /** The id a send's turn gets: from its Idempotency-Key, else fresh. */
  turnIdFor(userId: string, key?: string): string {
    return makeAgentTurnId(userId, key ?? randomUUID());
  }

  /** True when a turn with this id has started (running or ended). */
  async exists(turnId: string): Promise<boolean> {
    try {
      await this.client.workflow.getHandle(turnId).describe();
      return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }

  /**
   * Waits up to `timeoutMs` for a queued turn to start (its session runs it after the turns ahead
   * of it); false when it has not started by then. Polls, backing off to STARTED_CHECK_MAX_MS.
   */
  async untilStarted(turnId: string, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    let delay = 25;
    for (;;) {
      if (await this.exists(turnId)) return true;
      if (Date.now() + delay > deadline || signal?.aborted) return false;
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, STARTED_CHECK_MAX_MS);
    }
  }

  /**
   * Waits up to `timeoutMs` for the workflow to finish; `pending` when it has not (or when `signal`
   * aborts the wait first; the workflow keeps running either way).
   */
  async await<W extends Workflow = AgentTurnWorkflow>(
    handle: WorkflowHandle<W>,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<WorkflowOutcome<WorkflowResultType<W>>> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    const stop = signal ? AbortSignal.any([controller.signal, signal]) : controller.signal;
    try {
      const result = await this.client.withAbortSignal(stop, () => handle.result());
      return { state: 'completed', result };
    } catch (err) {
      if (stop.aborted) return { state: 'pending' };
      return failureOutcome(err);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * `await`, except that it answers `waiting` as soon as `isWaiting` says the turn waits for a
   * person (checked every WAITING_CHECK_MS), so a synchronous send does not hold its request for
   * a decision that may take days.
   */
  async awaitUnlessWaiting(
    handle: WorkflowHandle<AgentTurnWorkflow>,
    timeoutMs: number,
    isWaiting: () => Promise<boolean>,
  ): Promise<WorkflowOutcome<AgentTurnResult> | { state: 'waiting' }> {
    const stop = new AbortController();
    let waiting = false;
    const watch = (async () => {
      while (!stop.signal.aborted) {
        // Abortable: the answer must not wait out the rest of a check interval once the turn is done.
        await sleepUnlessAborted(WAITING_CHECK_MS, stop.signal);
        if (!stop.signal.aborted && (await isWaiting())) {
          waiting = true;
          stop.abort();
        }
      }
    })();
    try {
      const outcome = await this.await(handle, timeoutMs, stop.signal);
      return waiting ? { state: 'waiting' } : outcome;
    } finally {
      stop.abort();
      await watch;
    }
  }

  handle(turnId: string): WorkflowHandle<AgentTurnWorkflow> {
    return this.client.workflow.getHandle<AgentTurnWorkflow>(turnId);
  }

  /** Starts a one-shot workflow on the turns' task queue and waits up to `timeoutMs` for its result. */
  async run<W extends OneInputWorkflow>(
    workflowType: WorkflowTypeName,
    start: OneShotStart<W>,
    timeoutMs: number,
  ): Promise<WorkflowOutcome<WorkflowResultType<W>>> {
    const handle = await this.client.workflow.start(workflowType, {
      taskQueue: this.config.temporal.taskQueue,
      workflowId: start.workflowId,
      args: [start.input],
      workflowExecutionTimeout: executionTimeoutMs(workflowType, timeoutSettings(this.config)),
      staticSummary: start.staticSummary,
    });
    return (await this.await(handle, timeoutMs)) as WorkflowOutcome<WorkflowResultType<W>>;
  }

  /** Status of a turn by id; null when there is no such turn. */
  async describe(
    turnId: string,
  ): Promise<{ status: string; outcome: TurnOutcome; cancelReason?: string } | null> {
    const handle = this.client.workflow.getHandle<AgentTurnWorkflow>(turnId);
    try {
      const desc = await handle.describe();
      const status = desc.status.name;
      if (status === 'RUNNING') return { status: 'running', outcome: { state: 'pending' } };
      if (status === 'TIMED_OUT') return { status: 'timed_out', outcome: timedOutOutcome(desc) };
      const cancelReason = typeof desc.memo?.cancel_reason === 'string' ? desc.memo.cancel_reason : undefined;
      return {
        status: STATUS_NAMES[status] ?? status.toLowerCase(),
        // A cancelled run has no result to wait for.
        outcome: status === 'CANCELLED' ? { state: 'pending' } : await this.await(handle, 5_000),
        ...(cancelReason ? { cancelReason } : {}),
      };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return null;
      throw err;
    }
  }
}

/** The slowest a send polls for its queued turn to start: the added latency of a queued turn at most. */
const STARTED_CHECK_MAX_MS = 200;

/**
 * Temporal ends a run at its execution timeout without a failure of its own ("Workflow execution
 * timed out"): say which deadline it was and, when the server had flagged the run, why it was stuck.
 */
function timedOutOutcome(desc: WorkflowExecutionDescription): WorkflowOutcome<never> {
  const timeoutMs = optionalTsToMs(desc.raw.executionConfig?.workflowExecutionTimeout);
  const problems = desc.typedSearchAttributes.get(REPORTED_PROBLEMS);
  const stuck = problems?.length
    ? `; its workflow tasks were failing on every attempt (${problemCause(problems)})`
    : '';
  return {
    state: 'failed',
    failureType: 'Turn.TimedOut',
    error: `the turn did not finish within its execution timeout${
      timeoutMs ? ` of ${Math.round(timeoutMs / 1000)} s` : ''
    }${stuck}`,
  };
}

/** How often a synchronous send checks whether its turn started waiting for an approval. */
const WAITING_CHECK_MS = 300;

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

const STATUS_NAMES: Record<string, string> = {
  COMPLETED: 'completed',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
  TERMINATED: 'terminated',
  TIMED_OUT: 'timed_out',
  CONTINUED_AS_NEW: 'continued',
};

function searchAttributesFor(
  input: AgentTurnInput,
): TypedSearchAttributes | Parameters<Client['workflow']['start']>[1]['typedSearchAttributes'] {
  return [
    { key: ClasperUserId, value: input.userId },
    { key: ClasperSessionKey, value: input.sessionKey },
    { key: ClasperAgentRole, value: input.role },
    { key: ClasperTrigger, value: input.trigger },
  ];
}

/** Unwraps workflow → activity → application failure to the message and type worth showing. */
export function failureOutcome(err: unknown): WorkflowOutcome<never> {
  if (!(err instanceof WorkflowFailedError)) throw err;
  return { state: 'failed', error: describeFailure(err), failureType: failureType(err) };
}
