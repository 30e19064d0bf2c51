/**
 * Sending a turn through its session (src/workflows/session.ts): one update-with-start of the
 * session workflow, which starts it when none runs and answers what became of the turn under the
 * caller's `multitask_strategy`; for `steer`, the message then goes to the running turn as its
 * `steer` update, or — when that turn has no model step left to read it — through the session
 * again as a turn of its own. Reading a session is its `session` query.
 */
import {
  QueryNotRegisteredError,
  WithStartWorkflowOperation,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { timeoutSettings, USER_ID_PATTERN, type Config } from '../config';
import { ClasperAgentRole, ClasperSessionKey, ClasperUserId } from '../shared/search-attributes';
import { describeFailure, failureType, rootFailureDetails } from '../shared/failures';
import {
  makeSessionWorkflowId,
  SessionError,
  sessionQuery,
  steerUpdate,
  submitTurnSignal,
  submitTurnUpdate,
  type MultitaskStrategy,
  type SessionView,
  type SubmitTurnAnswer,
  type SubmitTurnRequest,
} from '../shared/session';
import { executionTimeoutMs } from '../shared/timeouts';
import type { AgentTurnInput } from '../shared/turn';
import { WorkflowType, type AgentTurnWorkflow, type SessionWorkflow } from '../shared/workflow-types';
import type { TurnService } from './turns';

export type SessionSubmit =
  | {
      kind: 'queued';
      handle: WorkflowHandle<AgentTurnWorkflow>;
      /** Its AgentTurn has started: wait for its result, no need to poll for the start. */
      started: boolean;
      /** Turns ahead of it when it was queued (0: next); absent for a turn that already ran. */
      position?: number;
      interruptedTurnId?: string;
    }
  | { kind: 'steered'; handle: WorkflowHandle<AgentTurnWorkflow>; step: number }
  | {
      kind: 'refused';
      status: 409 | 429 | 503;
      error: string;
      runningTurnId?: string;
      retryAfterSec?: number;
    };

/**
 * How long a send waits for a worker to take its message into the session (or the running turn,
 * for steer) before it answers 503: with no worker up (a deploy, a crash) it would wait forever.
 */
export const SUBMIT_WAIT_MS = 20_000;

/**
 * How long an `enqueue` or `interrupt` waits for a worker to accept its update before it is sent
 * as a signal-with-start instead, which Temporal records without a worker (the turn runs when one
 * is back). `reject` and `steer` need a worker's answer, so they wait SUBMIT_WAIT_MS, then 503.
 */
export const ACCEPT_WAIT_MS = 5_000;

const NO_WORKER = (what: string) =>
  `no worker took the message into ${what} within ${SUBMIT_WAIT_MS / 1000} s, so it may not be recorded; check that a worker runs on the task queue and send again with the same Idempotency-Key (a repeated key runs one turn)`;

/** How long a `reject` waits for its session to record the end of a turn that has already ended. */
const ENDED_TURN_CATCH_UP_MS = 2_000;

/** Open sessions of one user a status lookup asks at most (one per role in practice). */
const MAX_SESSIONS_SEARCHED = 20;

/** A full session queue clears as its turns finish: the caller tries again after about this long. */
const QUEUE_FULL_RETRY_SEC = 30;

export class SessionService {
  constructor(
    private readonly client: Client,
    private readonly config: Config,
    private readonly turns: TurnService,
  ) {}

  async submit(input: AgentTurnInput, turnId: string, strategy: MultitaskStrategy): Promise<SessionSubmit> {
    const request: SubmitTurnRequest = {
      turn: {
        turnId,
        input,
        executionTimeoutMs: this.turns.executionTimeoutMs(),
        enqueuedAt: new Date().toISOString(),
      },
      strategy,
    };
    let first = await this.update(request, turnId);
    if (strategy === 'reject') first = await this.pastEndedTurn(first, () => this.update(request, turnId));
    if ('kind' in first) return first;
    if (first.outcome !== 'steer' || !first.running_turn_id) return this.queued(first);
    const steered = await this.steer(first.running_turn_id, turnId, input.message);
    if (steered) return steered;
    // The running turn was finishing: the message becomes the next turn instead.
    const again = await this.update({ ...request, strategy: 'enqueue' }, `${turnId}/enqueue`);
    return 'kind' in again ? again : this.queued(again);
  }

  /** What the session runs and holds; null when no session of this key is open. */
  async view(sessionKey: string): Promise<SessionView | null> {
    const handle = this.client.workflow.getHandle<SessionWorkflow>(makeSessionWorkflowId(sessionKey));
    try {
      // An ended (idle) session holds nothing: it answers null, like one never opened.
      if ((await handle.describe()).status.name !== 'RUNNING') return null;
      return await handle.query(sessionQuery);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError || err instanceof QueryNotRegisteredError) return null;
      throw err;
    }
  }

  /**
   * Where a turn that has not started waits: the open sessions of its user (from visibility, so a
   * session opened a moment ago may be missed for a second) asked for their queue. Only the 404
   * path of the turn status pays for this.
   */
  async findQueued(turnId: string): Promise<{ session_key: string; position: number } | undefined> {
    const userId = turnId.split('/')[1] ?? '';
    if (!USER_ID_PATTERN.test(userId)) return undefined;
    const query = `WorkflowType = '${WorkflowType.session}' AND ExecutionStatus = 'Running' AND ${ClasperUserId.name} = '${userId}'`;
    let seen = 0;
    for await (const wf of this.client.workflow.list({ query, pageSize: MAX_SESSIONS_SEARCHED })) {
      if (++seen > MAX_SESSIONS_SEARCHED) break;
      const view = await this.client.workflow
        .getHandle(wf.workflowId)
        .query(sessionQuery)
        .catch(() => undefined);
      const position = view?.queue.findIndex((t) => t.turn_id === turnId) ?? -1;
      if (view && position >= 0) return { session_key: view.session_key, position };
    }
    return undefined;
  }

  private queued(answer: SubmitTurnAnswer): SessionSubmit {
    return {
      kind: 'queued',
      handle: this.turns.handle(answer.turn_id),
      started: answer.started === true,
      ...(answer.position !== undefined ? { position: answer.position } : {}),
      ...(answer.interrupted_turn_id ? { interruptedTurnId: answer.interrupted_turn_id } : {}),
    };
  }

  private async update(
    request: SubmitTurnRequest,
    updateId: string,
  ): Promise<SubmitTurnAnswer | Extract<SessionSubmit, { kind: 'refused' }>> {
    const { sessionKey, userId, role } = request.turn.input;
    // One operation per call: the SDK lets each be used once.
    const startWorkflowOperation = () =>
      new WithStartWorkflowOperation<SessionWorkflow>(WorkflowType.session, {
        workflowId: makeSessionWorkflowId(sessionKey),
        taskQueue: this.config.temporal.taskQueue,
        args: [
          {
            sessionKey,
            turnsPerRun: this.config.sessions.turnsPerRun,
            idleCloseSec: this.config.sessions.idleCloseSec,
            runMaxSec: this.config.sessions.runMaxSec,
          },
        ],
        // Per run: the session continues as new for as long as it is used, and each run ends in time.
        workflowRunTimeout: executionTimeoutMs(WorkflowType.session, timeoutSettings(this.config)),
        // The session that runs is the one every replica feeds; an ended one is started again.
        workflowIdConflictPolicy: 'USE_EXISTING',
        typedSearchAttributes: [
          { key: ClasperUserId, value: userId },
          { key: ClasperSessionKey, value: sessionKey },
          { key: ClasperAgentRole, value: role },
        ],
        staticSummary: `session ${sessionKey}`,
      });
    // Accepted is durable (in the session's history); a worker that cannot be reached is a 503.
    const durable = request.strategy === 'enqueue' || request.strategy === 'interrupt';
    const accept = () =>
      this.client.connection.withDeadline(Date.now() + (durable ? ACCEPT_WAIT_MS : SUBMIT_WAIT_MS), () =>
        this.client.workflow.startUpdateWithStart(submitTurnUpdate, {
          args: [request],
          updateId,
          waitForStage: 'ACCEPTED',
          startWorkflowOperation: startWorkflowOperation(),
        }),
      );
    try {
      let handle;
      try {
        handle = await accept();
      } catch (err) {
        // The session ended (idle) between the start check and the update: the next call starts it.
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        handle = await accept();
      }
      try {
        return await this.client.connection.withDeadline(Date.now() + SUBMIT_WAIT_MS, () => handle.result());
      } catch (err) {
        // Accepted, so it will run: the caller follows the turn by its id.
        if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError)
          return { outcome: 'queued', turn_id: request.turn.turnId };
        throw err;
      }
    } catch (err) {
      if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError && durable) {
        // No worker took it: recorded as a signal instead (a repeat of an accepted one is 'known').
        const { workflowIdConflictPolicy: _always, ...start } = startWorkflowOperation().options;
        await this.client.workflow.signalWithStart<SessionWorkflow, [SubmitTurnRequest]>(
          WorkflowType.session,
          {
            ...start,
            signal: submitTurnSignal,
            signalArgs: [request],
          },
        );
        return { outcome: 'queued', turn_id: request.turn.turnId };
      }
      if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError)
        return { kind: 'refused', status: 503, error: NO_WORKER(`session ${sessionKey}`) };
      if (!(err instanceof WorkflowUpdateFailedError)) throw err;
      const type = failureType(err.cause);
      if (type === SessionError.Busy) {
        const details = rootFailureDetails(err.cause, SessionError.Busy);
        const running = (details as { running_turn_id?: string } | undefined)?.running_turn_id;
        return {
          kind: 'refused',
          status: 409,
          error: describeFailure(err.cause),
          ...(running ? { runningTurnId: running } : {}),
        };
      }
      if (type === SessionError.QueueFull)
        return {
          kind: 'refused',
          status: 429,
          error: describeFailure(err.cause),
          retryAfterSec: QUEUE_FULL_RETRY_SEC,
        };
      throw err;
    }
  }

  /**
   * A `reject` refused for a turn that has already ended is the session lagging, not a busy
   * session: the turn's result is visible a workflow task before its session records the end, so
   * a client that sends its next message the moment a reply arrives would be refused. Such a
   * refusal is asked again until the session has caught up (ENDED_TURN_CATCH_UP_MS at most); a
   * refused update leaves no trace, so asking again with the same update id is safe.
   */
  private async pastEndedTurn<T extends SubmitTurnAnswer | SessionSubmit>(
    answer: T,
    again: () => Promise<T>,
  ): Promise<T> {
    const deadline = Date.now() + ENDED_TURN_CATCH_UP_MS;
    let current = answer;
    while (
      'kind' in current &&
      current.kind === 'refused' &&
      current.status === 409 &&
      current.runningTurnId &&
      Date.now() < deadline &&
      (await this.hasEnded(current.runningTurnId))
    ) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      current = await again();
    }
    return current;
  }

  /** True when the turn's workflow has closed; a turn still queued has none yet and has not ended. */
  private async hasEnded(turnId: string): Promise<boolean> {
    try {
      return (await this.turns.handle(turnId).describe()).status.name !== 'RUNNING';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }

  /** The message into the running turn; undefined when that turn can no longer take it. */
  private async steer(
    runningTurnId: string,
    turnId: string,
    message: string,
  ): Promise<Extract<SessionSubmit, { kind: 'steered' | 'refused' }> | undefined> {
    const handle = this.turns.handle(runningTurnId);
    try {
      const answer = await this.client.connection.withDeadline(Date.now() + SUBMIT_WAIT_MS, () =>
        handle.executeUpdate(steerUpdate, {
          args: [{ turn_id: turnId, message }],
          updateId: `steer/${turnId}`,
        }),
      );
      return { kind: 'steered', handle, step: answer.step };
    } catch (err) {
      // Maybe taken, maybe not: enqueueing it too could answer it twice.
      if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError)
        return { kind: 'refused', status: 503, error: NO_WORKER(`turn ${runningTurnId}`) };
      // Refused by its validator, ended, or a turn begun before steering existed.
      if (err instanceof WorkflowUpdateFailedError || err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
  }
}
