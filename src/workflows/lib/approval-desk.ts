/**
 * The approvals of one turn: which tool calls wait for a person, the decisions as they come in
 * through the `decideApproval` update, and the wait itself — a durable `condition` with the
 * approval timeout, so a turn can wait for days holding no worker. Several pending calls are
 * decided independently, in any order. Workflow code.
 */
import { ApplicationFailure, condition, setHandler, workflowInfo } from '@temporalio/workflow';
import {
  APPROVAL_TIMED_OUT,
  ApprovalError,
  decideApprovalUpdate,
  type ApprovalDecisionInput,
  type ApprovalRecord,
  type PendingApproval,
} from '../../shared/control';
import type { ToolCall } from '../../shared/types';

export class ApprovalDesk {
  private readonly pending = new Map<string, PendingApproval>();
  private readonly decided = new Map<string, ApprovalRecord>();

  constructor(private readonly onChange: (pending: number) => void) {
    setHandler(decideApprovalUpdate, (input) => this.record(input, 'reviewer'), {
      validator: (input) => this.validate(input),
      description: 'Approve or deny a tool call this turn is waiting on',
    });
  }

  /** Waits until the call is decided or `timeoutMs` passes (a denial: `approval timed out`). */
  async await(call: ToolCall, step: number, timeoutMs: number): Promise<ApprovalRecord> {
    this.pending.set(call.id, {
      call_id: call.id,
      name: call.function.name,
      arguments: parseArguments(call.function.arguments),
      requested_at: new Date().toISOString(),
      step,
    });
    this.onChange(this.pending.size);
    const decided = await condition(() => this.decided.has(call.id), timeoutMs, {
      summary: `approval of ${call.function.name} (${call.id})`,
    });
    if (!decided) this.record({ call_id: call.id, decision: 'deny', reason: APPROVAL_TIMED_OUT }, 'timeout');
    return this.decided.get(call.id) as ApprovalRecord;
  }

  /** What a reviewer sees: every call still waiting, oldest first. */
  view(): PendingApproval[] {
    return [...this.pending.values()];
  }

  /** A cancelled turn drops what it was waiting for. */
  dropAll(): void {
    this.pending.clear();
    this.onChange(0);
  }

  private validate(input: ApprovalDecisionInput): void {
    if (this.decided.has(input.call_id)) {
      throw ApplicationFailure.create({
        type: ApprovalError.AlreadyDecided,
        message: `tool call ${input.call_id} of ${workflowInfo().workflowId} was already decided: ${this.decided.get(input.call_id)?.decision}`,
        nonRetryable: true,
      });
    }
    if (!this.pending.has(input.call_id)) {
      throw ApplicationFailure.create({
        type: ApprovalError.NotFound,
        message: `${workflowInfo().workflowId} has no tool call ${input.call_id} waiting for approval`,
        nonRetryable: true,
      });
    }
    if (input.decision === 'deny' && input.arguments !== undefined) {
      throw ApplicationFailure.create({
        type: ApprovalError.Invalid,
        message: 'arguments can only be given with decision "approve"',
        nonRetryable: true,
      });
    }
  }

  private record(input: ApprovalDecisionInput, by: ApprovalRecord['by']): ApprovalRecord {
    const waiting = this.pending.get(input.call_id);
    const record: ApprovalRecord = {
      call_id: input.call_id,
      name: waiting?.name ?? '',
      decision: input.decision,
      ...(input.reason ? { reason: input.reason } : {}),
      ...(input.arguments ? { arguments: input.arguments } : {}),
      decided_at: new Date().toISOString(),
      by,
    };
    this.decided.set(input.call_id, record);
    this.pending.delete(input.call_id);
    this.onChange(this.pending.size);
    return record;
  }
}

function parseArguments(json: string): unknown {
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return json;
  }
}
