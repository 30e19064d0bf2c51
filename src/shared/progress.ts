/**
 * A running turn's progress, readable through the `progress` query: which tool calls finished (in
 * order, numbered), the current model step, and the final answer once the model gave it. The API's
 * SSE stream polls this query, so streaming works when the API and the worker are different
 * processes on different hosts: nothing is pushed, the turn's state is read through Temporal.
 *
 * Bounded on purpose: a query answer goes through the server on every poll. The tracker keeps the
 * last MAX_KEPT_TOOL_EVENTS events with errors cut to MAX_TOOL_ERROR_CHARS, and one answer carries
 * at most MAX_TOOL_EVENTS_PER_QUERY events and MAX_TEXT_CHARS_PER_QUERY characters of the answer;
 * the caller asks again from where it is (`afterSeq`, `textFrom`).
 *
 * Workflow-safe: no Node imports; the API imports the same query definition.
 */
import { defineQuery } from '@temporalio/workflow';
import type { ApprovalRecord, PendingApproval } from './control';
import type { StreamLog } from './stream';
import type { ToolOutcome } from './types';

export const MAX_KEPT_TOOL_EVENTS = 500;
export const MAX_TOOL_EVENTS_PER_QUERY = 100;
export const MAX_TEXT_CHARS_PER_QUERY = 16_000;
export const MAX_TOOL_ERROR_CHARS = 500;

export interface ProgressToolEvent {
  /** 1, 2, 3… in the order the calls finished being recorded; never reused. */
  seq: number;
  name: string;
  ok: boolean;
  error?: string;
  /** The model step that asked for the call. */
  step: number;
}

/** A tool call started waiting for approval, or was decided (same seq counter as tool events). */
export interface ProgressApprovalEvent {
  seq: number;
  kind: 'approval_required' | 'approval_decided';
  call_id: string;
  name: string;
  step?: number;
  decision?: ApprovalRecord['decision'];
  reason?: string;
}

export interface ProgressRequest {
  /** Only events with a larger seq (0: from the start). */
  afterSeq?: number;
  /** Characters of the final answer the caller already has. */
  textFrom?: number;
}

export interface TurnProgress {
  /** The model step running now (0 before the first). */
  step: number;
  /** The seq of the newest tool event; more than the last returned event's seq means ask again. */
  lastSeq: number;
  tools: ProgressToolEvent[];
  /** Approval events after `afterSeq` (absent from turns that began before approvals existed). */
  approvals?: ProgressApprovalEvent[];
  /** Tool calls waiting for a decision now. */
  pending_approvals?: PendingApproval[];
  /** Once the answer is known: its full length, and the slice from `textFrom`. */
  textLength?: number;
  text?: string;
}

export const progressQuery = defineQuery<TurnProgress, [ProgressRequest?]>('progress');

/** What AgentTurn records as it goes; `view` answers the query. Events also go to the turn's stream log. */
export class ProgressTracker {
  constructor(private readonly stream?: StreamLog) {}

  private step = 0;
  private seq = 0;
  private readonly events: ProgressToolEvent[] = [];
  private readonly approvalEvents: ProgressApprovalEvent[] = [];
  private pending: PendingApproval[] = [];
  private answer: string | undefined;

  stepStarted(step: number): void {
    this.step = step;
  }

  /** A tool call starts running (for the stream only; the progress query counts finished calls). */
  toolStarted(step: number, name: string, callId: string): void {
    this.stream?.append('tool', { status: 'started', name, call_id: callId, step });
  }

  /** Records a finished tool call and hands its outcome back, so it chains onto the call's promise. */
  toolFinished<T extends Pick<ToolOutcome, 'ok' | 'error'>>(
    step: number,
    name: string,
    outcome: T,
    callId?: string,
  ): T {
    this.seq += 1;
    const error = outcome.error === undefined ? undefined : cut(outcome.error, MAX_TOOL_ERROR_CHARS);
    this.stream?.append('tool', {
      status: 'finished',
      name,
      ...(callId !== undefined ? { call_id: callId } : {}),
      ok: outcome.ok,
      ...(error !== undefined ? { error } : {}),
      step,
    });
    this.events.push({
      seq: this.seq,
      name,
      ok: outcome.ok,
      ...(error !== undefined ? { error } : {}),
      step,
    });
    if (this.events.length > MAX_KEPT_TOOL_EVENTS) this.events.shift();
    return outcome;
  }

  /** The calls waiting for a decision now; new ones are recorded as `approval_required` events. */
  approvalsPending(pending: PendingApproval[]): void {
    const known = new Set(this.pending.map((p) => p.call_id));
    for (const p of pending) {
      if (known.has(p.call_id)) continue;
      this.pushApproval({ kind: 'approval_required', call_id: p.call_id, name: p.name, step: p.step });
    }
    this.pending = pending;
  }

  approvalDecided(record: ApprovalRecord): void {
    this.pushApproval({
      kind: 'approval_decided',
      call_id: record.call_id,
      name: record.name,
      decision: record.decision,
      ...(record.reason ? { reason: cut(record.reason, MAX_TOOL_ERROR_CHARS) } : {}),
    });
  }

  private pushApproval(event: Omit<ProgressApprovalEvent, 'seq'>): void {
    const { kind, ...data } = event;
    this.stream?.append(kind, data);
    this.seq += 1;
    this.approvalEvents.push({ seq: this.seq, ...event });
    if (this.approvalEvents.length > MAX_KEPT_TOOL_EVENTS) this.approvalEvents.shift();
  }

  /** The text the turn answers with (the same as its result's `response`). */
  answered(response: string): void {
    this.answer = response;
  }

  view(request: ProgressRequest = {}): TurnProgress {
    const afterSeq = request.afterSeq ?? 0;
    const tools = this.events.filter((e) => e.seq > afterSeq).slice(0, MAX_TOOL_EVENTS_PER_QUERY);
    const approvals = this.approvalEvents.filter((e) => e.seq > afterSeq).slice(0, MAX_TOOL_EVENTS_PER_QUERY);
    const progress: TurnProgress = {
      step: this.step,
      lastSeq: this.seq,
      tools,
      approvals,
      pending_approvals: this.pending,
    };
    if (this.answer === undefined) return progress;
    const from = Math.max(0, request.textFrom ?? 0);
    return {
      ...progress,
      textLength: this.answer.length,
      text: this.answer.slice(from, from + MAX_TEXT_CHARS_PER_QUERY),
    };
  }
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}
