/**
 * Controlling a running AgentTurn from outside: deciding the approvals its tool calls wait for,
 * and cancelling it. The API and the CLI use these definitions; the workflow registers handlers for
 * them (src/workflows/lib/approval-desk.ts, turn-control.ts). Workflow-safe.
 */
import { defineSignal, defineUpdate } from '@temporalio/workflow';

/** A tool call waiting for a person's decision. */
export interface PendingApproval {
  call_id: string;
  name: string;
  /** The arguments the model asked for: the parsed object, or the raw text when it is not JSON. */
  arguments: unknown;
  requested_at: string;
  step: number;
}

export type ApprovalVerdict = 'approve' | 'deny';

export interface ApprovalDecisionInput {
  call_id: string;
  decision: ApprovalVerdict;
  reason?: string;
  /** With `approve` only: the arguments to run the tool with instead of the model's. */
  arguments?: Record<string, unknown>;
}

/** A decision as the turn recorded it; the update's answer. */
export interface ApprovalRecord {
  call_id: string;
  name: string;
  decision: ApprovalVerdict;
  reason?: string;
  /** The arguments the tool runs with, when a reviewer edited them. */
  arguments?: Record<string, unknown>;
  decided_at: string;
  /** `reviewer` through the API; `timeout` when CLASPER_APPROVAL_TIMEOUT_SEC passed first. */
  by: 'reviewer' | 'timeout';
}

/** The update's validator refuses with these failure types; the API maps them to 404 and 409. */
export const ApprovalError = {
  NotFound: 'Approval.NotFound',
  AlreadyDecided: 'Approval.AlreadyDecided',
  Invalid: 'Approval.Invalid',
} as const;

export const decideApprovalUpdate = defineUpdate<ApprovalRecord, [ApprovalDecisionInput]>('decideApproval');

export const APPROVAL_TIMED_OUT = 'approval timed out';

export interface CancelRequest {
  reason?: string;
  /**
   * `now` (the cancel endpoint): stop at once, cancelling an in-flight model or tool call.
   * `step` (a session's interrupt): let the running step finish, then stop before the next one.
   */
  at?: 'now' | 'step';
}

/**
 * Sent just before the workflow's cancellation is requested, so the turn knows why and how. A
 * cancellation without it (e.g. from the Temporal UI) stops at once with a generic reason.
 */
export const cancelReasonSignal = defineSignal<[CancelRequest]>('cancelReason');

export const CANCELLED_BY_OPERATOR = 'cancelled by an operator';
