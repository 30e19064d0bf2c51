/**
 * Sessions: the turns of one `session_key` run one at a time, in arrival order, inside one
 * Session workflow per key (`session/<session_key>`, src/workflows/session.ts). The API feeds it
 * with update-with-start: the `submitTurn` update starts the session when none runs and decides
 * at once, atomically across API replicas, what happens to the new turn (the double-texting
 * strategy). Workflow-safe: definitions and pure functions only. docs/architecture.md, "Sessions".
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AgentTurnInput } from './turn';

/** LangGraph's names: what a message does when its session already runs a turn. */
export const MULTITASK_STRATEGIES = ['reject', 'enqueue', 'interrupt', 'steer'] as const;
export type MultitaskStrategy = (typeof MULTITASK_STRATEGIES)[number];

export const SESSION_PREFIX = 'session/';

export function makeSessionWorkflowId(sessionKey: string): string {
  return `${SESSION_PREFIX}${sessionKey}`;
}

/** One turn as the session holds it until it starts: the AgentTurn's id, input and deadline. */
export interface QueuedTurn {
  turnId: string;
  input: AgentTurnInput;
  /** The turn's own workflowExecutionTimeout (the API's, so direct and session turns match). */
  executionTimeoutMs: number;
  enqueuedAt: string;
}

export interface SubmitTurnRequest {
  turn: QueuedTurn;
  strategy: MultitaskStrategy;
}

/**
 * What the session did with a submitted turn. `queued`: it will run (position 0 = next; it may
 * already be starting); `steer`: a turn runs and nothing waits, so the caller hands the message to
 * `running_turn_id` (which may refuse it, then the caller submits again with `enqueue`); `known`:
 * this turn id was submitted before (a repeated Idempotency-Key).
 */
export interface SubmitTurnAnswer {
  outcome: 'queued' | 'steer' | 'known';
  turn_id: string;
  position?: number;
  running_turn_id?: string;
  /** With `interrupt`: the running turn asked to stop at its next step boundary. */
  interrupted_turn_id?: string;
  /**
   * True when the turn had nothing ahead of it and its AgentTurn has started by the time the
   * update answers, so the caller waits for its result at once instead of polling for the start.
   */
  started?: boolean;
}

export interface SessionView {
  session_key: string;
  running?: { turn_id: string; started_at: string };
  queue: { turn_id: string; enqueued_at: string }[];
  /** Turns this session has started, across continue-as-new. */
  turns_started: number;
}

export interface SessionInput {
  sessionKey: string;
  /** After this many turns the session continues as new (CLASPER_SESSION_TURNS_PER_RUN). */
  turnsPerRun: number;
  /** An idle session ends after this long; the next message starts it again. */
  idleCloseSec: number;
  /**
   * A run older than this continues as new before its next turn, so a run lasts at most this plus
   * one turn (its run timeout, src/shared/timeouts.ts). Absent in runs begun before it: no age bound.
   */
  runMaxSec?: number;
  /** What a continued run inherits. */
  carried?: SessionCarry;
}

export interface SessionCarry {
  queue: QueuedTurn[];
  /** Recently submitted turn ids (bounded), so a repeated submit is answered `known`. */
  recent: string[];
  turnsStarted: number;
}

export interface SessionResult {
  turns_started: number;
}

/** The validator refuses with these failure types; the API maps them to 409 and 429. */
export const SessionError = {
  Busy: 'Session.Busy',
  QueueFull: 'Session.QueueFull',
} as const;

/** Turns that may wait in one session; more is a 429 (a client that double-texts without end). */
export const MAX_QUEUED_TURNS = 100;
/** Bytes of queued inputs one session holds: the queue rides in the continue-as-new input (2 MB cap). */
export const MAX_QUEUED_BYTES = 1_000_000;
/** How many submitted turn ids a session remembers for `known`. */
export const RECENT_TURN_IDS = 500;

export const submitTurnUpdate = defineUpdate<SubmitTurnAnswer, [SubmitTurnRequest]>('submitTurn');
/**
 * The same submit as a signal, for `enqueue` and `interrupt` when no worker accepts the update in
 * time (a deploy, a crash): signal-with-start is durable without a worker, so the message is never
 * lost; it skips the validator (a queue past its bound still takes it) and answers nothing.
 */
export const submitTurnSignal = defineSignal<[SubmitTurnRequest]>('submitTurnSignal');
export const sessionQuery = defineQuery<SessionView>('session');

/** `interrupt`'s cancel reason on the turn it stops. */
export function interruptedBy(turnId: string): string {
  return `interrupted by ${turnId}`;
}

/** A message added to a running turn (`steer`): the turn adds it before its next model step. */
export interface SteerRequest {
  /** The id the steered message would have had as a turn of its own (its update id). */
  turn_id: string;
  message: string;
}

export interface SteerAnswer {
  turn_id: string;
  /** The model step that will read the message. */
  step: number;
}

/** The AgentTurn's validator refuses with this when no model step is left to read the message. */
export const STEER_CLOSED = 'Steer.Closed';

export const steerUpdate = defineUpdate<SteerAnswer, [SteerRequest]>('steer');
