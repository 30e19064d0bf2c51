/**
 * Session (`session/<session_key>`): the turns of one conversation, one at a time, in the order
 * their `submitTurn` updates arrived. The API sends each with update-with-start, so the first
 * message starts the session and every later one lands in the same run whatever API replica took
 * it; Temporal orders the updates, the validator and handler decide the strategy at once:
 *
 *   reject    → refused (409 with the running turn) while a turn runs or waits
 *   enqueue   → appended to the queue
 *   interrupt → first in the queue; the running turn is asked to stop at its next step boundary
 *   steer     → when a turn runs and nothing waits, the caller hands the message to that turn
 *
 * Each turn runs as a child AgentTurn with the id the API chose (so idempotency, status, cancel and
 * streaming work on it as on a direct turn) and the session waits for it before starting the next.
 * After `turnsPerRun` turns, when Temporal suggests it, or once the run is `runMaxSec` old, the
 * session continues as new with its queue at its next turn, so its history stays small however long
 * the conversation and every run ends before its run timeout; idle for `idleCloseSec`, it ends and
 * the next message starts a new run. Deterministic code only.
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  ParentClosePolicy,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { cancelReasonSignal } from '../shared/control';
import { turnSearchAttributes } from '../shared/search-attributes';
import {
  interruptedBy,
  MAX_QUEUED_BYTES,
  MAX_QUEUED_TURNS,
  RECENT_TURN_IDS,
  SessionError,
  sessionQuery,
  submitTurnSignal,
  submitTurnUpdate,
  type QueuedTurn,
  type SessionCarry,
  type SessionInput,
  type SessionResult,
  type SessionView,
  type SubmitTurnAnswer,
  type SubmitTurnRequest,
} from '../shared/session';
import { turnSummary } from '../shared/turn';
import { WorkflowType, type AgentTurnWorkflow } from '../shared/workflow-types';

export async function session(input: SessionInput): Promise<SessionResult> {
  const book = new SessionBook(input.sessionKey, input.carried);
  // Registered before anything awaits: the update that started this run is handled in its first task.
  setHandler(submitTurnUpdate, (req) => book.submit(req), { validator: (req) => book.validate(req) });
  setHandler(submitTurnSignal, async (req) => {
    await book.submit(req);
  });
  setHandler(sessionQuery, () => book.view());

  let startedThisRun = 0;
  for (;;) {
    const work = await condition(() => book.queue.length > 0, `${input.idleCloseSec}s`);
    if (!work) {
      await condition(allHandlersFinished);
      if (book.queue.length === 0) return { turns_started: book.turnsStarted };
      continue;
    }
    if (startedThisRun >= input.turnsPerRun || workflowInfo().continueAsNewSuggested || tooOld(input)) {
      // Submits waiting for their turn to start would wait for the next run: answer them now.
      book.draining = true;
      await condition(allHandlersFinished);
      return continueAsNew<typeof session>({ ...input, carried: book.carry() });
    }
    const next = book.queue.shift() as QueuedTurn;
    startedThisRun++;
    await book.run(next);
  }
}

/** Past its age a run continues as new at its next turn, so it ends before its run timeout. */
function tooOld(input: SessionInput): boolean {
  if (input.runMaxSec === undefined) return false;
  return Date.now() - workflowInfo().runStartTime.getTime() >= input.runMaxSec * 1000;
}

/** The session's state: the running turn, the queue, the ids it has seen. */
class SessionBook {
  queue: QueuedTurn[];
  running: { turnId: string; startedAt: string; interruptedBy?: string } | undefined;
  turnsStarted: number;
  private readonly recent: string[];
  /** Queued interrupters, kept at the front in their arrival order. */
  private readonly interrupters = new Set<string>();
  /** Turns whose submit answers once they start (nothing was ahead), and those that have. */
  private readonly awaitingStart = new Set<string>();
  private readonly launched = new Set<string>();
  /** Set before continue-as-new: waiting submits answer without waiting for the start. */
  draining = false;

  constructor(
    private readonly sessionKey: string,
    carried?: SessionCarry,
  ) {
    this.queue = carried?.queue ?? [];
    this.recent = carried?.recent ?? [];
    this.turnsStarted = carried?.turnsStarted ?? 0;
  }

  private busy(): boolean {
    return this.running !== undefined || this.queue.length > 0;
  }

  private willQueue(req: SubmitTurnRequest): boolean {
    return !(req.strategy === 'steer' && this.running && this.queue.length === 0);
  }

  /** Refusals leave no trace in history: a rejected update is never written. */
  validate(req: SubmitTurnRequest): void {
    if (this.recent.includes(req.turn.turnId)) return;
    if (req.strategy === 'reject' && this.busy()) {
      const running = this.running?.turnId ?? this.queue[0]?.turnId;
      throw ApplicationFailure.create({
        message: `session ${this.sessionKey} is running turn ${running}; send again when it is done, or with multitask_strategy enqueue, interrupt or steer`,
        type: SessionError.Busy,
        nonRetryable: true,
        details: [{ running_turn_id: running }],
      });
    }
    if (!this.willQueue(req)) return;
    const bytes = this.queue.reduce((n, t) => n + JSON.stringify(t.input).length, 0);
    if (
      this.queue.length >= MAX_QUEUED_TURNS ||
      bytes + JSON.stringify(req.turn.input).length > MAX_QUEUED_BYTES
    ) {
      throw ApplicationFailure.create({
        message: `session ${this.sessionKey} already holds ${this.queue.length} waiting turns (at most ${MAX_QUEUED_TURNS}, ${MAX_QUEUED_BYTES} bytes); send again when some are done`,
        type: SessionError.QueueFull,
        nonRetryable: true,
      });
    }
  }

  async submit(req: SubmitTurnRequest): Promise<SubmitTurnAnswer> {
    const { turn, strategy } = req;
    if (this.recent.includes(turn.turnId)) return { outcome: 'known', turn_id: turn.turnId };
    if (!this.willQueue(req)) {
      // Steering is the caller's next step; the id stays free for its `enqueue` fallback.
      return { outcome: 'steer', turn_id: turn.turnId, running_turn_id: this.running?.turnId };
    }
    this.remember(turn.turnId);
    if (strategy !== 'interrupt') {
      this.queue.push(turn);
      const position = this.queue.length - 1;
      if (position === 0 && !this.running) return this.answerOnceStarted(turn.turnId);
      return { outcome: 'queued', turn_id: turn.turnId, position };
    }
    const position = this.queue.filter((t) => this.interrupters.has(t.turnId)).length;
    this.queue.splice(position, 0, turn);
    this.interrupters.add(turn.turnId);
    const victim = this.running;
    if (!victim && position === 0) return this.answerOnceStarted(turn.turnId);
    if (!victim || victim.interruptedBy) {
      return {
        outcome: 'queued',
        turn_id: turn.turnId,
        position,
        ...(victim ? { interrupted_turn_id: victim.turnId } : {}),
      };
    }
    victim.interruptedBy = turn.turnId;
    await stopAtNextStep(victim.turnId, turn.turnId);
    return { outcome: 'queued', turn_id: turn.turnId, position, interrupted_turn_id: victim.turnId };
  }

  /** The next turn to run: the answer waits (a workflow task or two) until its AgentTurn has started. */
  private async answerOnceStarted(turnId: string): Promise<SubmitTurnAnswer> {
    this.awaitingStart.add(turnId);
    await condition(() => this.launched.has(turnId) || this.draining);
    const started = this.launched.delete(turnId);
    this.awaitingStart.delete(turnId);
    return { outcome: 'queued', turn_id: turnId, position: 0, started };
  }

  private markLaunched(turnId: string): void {
    if (this.awaitingStart.delete(turnId)) this.launched.add(turnId);
  }

  /** Starts the turn as a child and waits for it, whatever its end: its own status says how it went. */
  async run(turn: QueuedTurn): Promise<void> {
    this.interrupters.delete(turn.turnId);
    let child;
    try {
      child = await startChild<AgentTurnWorkflow>(WorkflowType.agentTurn, {
        workflowId: turn.turnId,
        args: [turn.input],
        // A turn id is never run twice: a repeated key attaches to the turn that ran.
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        workflowExecutionTimeout: turn.executionTimeoutMs,
        typedSearchAttributes: turnSearchAttributes(turn.input),
        staticSummary: turnSummary(turn.input),
        // Resetting or terminating a session never takes its turns with it.
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        log.info('turn ran before (a repeated key); not running it again', { turn_id: turn.turnId });
        this.markLaunched(turn.turnId);
        return;
      }
      throw err;
    }
    this.markLaunched(turn.turnId);
    this.running = { turnId: turn.turnId, startedAt: new Date().toISOString() };
    this.turnsStarted++;
    try {
      await child.result();
    } catch (err) {
      if (isCancellation(err) && CancellationScope.current().consideredCancelled) throw err;
      log.info('turn ended without a result', { turn_id: turn.turnId, error: String(err) });
    } finally {
      this.running = undefined;
    }
  }

  view(): SessionView {
    return {
      session_key: this.sessionKey,
      ...(this.running
        ? { running: { turn_id: this.running.turnId, started_at: this.running.startedAt } }
        : {}),
      queue: this.queue.map((t) => ({ turn_id: t.turnId, enqueued_at: t.enqueuedAt })),
      turns_started: this.turnsStarted,
    };
  }

  carry(): SessionCarry {
    return { queue: this.queue, recent: this.recent, turnsStarted: this.turnsStarted };
  }

  private remember(turnId: string): void {
    this.recent.push(turnId);
    if (this.recent.length > RECENT_TURN_IDS) this.recent.splice(0, this.recent.length - RECENT_TURN_IDS);
  }
}

/**
 * The same two messages the cancel endpoint sends, with `at: 'step'`: the running step finishes,
 * the turn stops before its next one and ends cancelled with the reason. A turn that ended in the
 * meantime has nothing to stop.
 */
async function stopAtNextStep(turnId: string, by: string): Promise<void> {
  const turn = getExternalWorkflowHandle(turnId);
  try {
    await turn.signal(cancelReasonSignal, { reason: interruptedBy(by), at: 'step' });
    await turn.cancel();
  } catch (err) {
    log.info('the interrupted turn had already ended', { turn_id: turnId, error: String(err) });
  }
}
