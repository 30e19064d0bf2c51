/**
 * Deciding approvals and cancelling turns, for the routes and the CLI's HTTP calls. A decision is
 * the turn's `decideApproval` update (its validator refuses unknown and decided calls); edited
 * arguments are checked against the tool's JSON schema first, here, so a bad edit is a 400 and
 * never reaches the tool. A cancel sends the reason, then asks Temporal to cancel the run.
 *
 * A decision is accepted only by a worker running the turn. When none is up (a deploy, a crash)
 * the request waits DECISION_WAIT_MS and then answers 503 instead of hanging. Each decision's
 * update id is derived from its body, so the caller's retry of the same decision attaches to the
 * first attempt (or reads its outcome) and is recorded once; a different decision of an already
 * decided call is still a 409.
 */
import crypto from 'node:crypto';
import {
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { compileSchema } from '../clients/json-schema';
import { listTools, type MissionControlClient } from '../clients/mission-control';
import {
  ApprovalError,
  cancelReasonSignal,
  decideApprovalUpdate,
  type ApprovalDecisionInput,
  type ApprovalRecord,
  type PendingApproval,
} from '../shared/control';
import { failureType, describeFailure } from '../shared/failures';
import { progressQuery } from '../shared/progress';
import { ClasperAgentRole, ClasperAwaitingApproval, ClasperUserId } from '../shared/search-attributes';

export type ControlResult<T> =
  { ok: true; value: T } | { ok: false; status: 400 | 404 | 409 | 503; error: string };

/** How long a decision waits for a worker to accept it before the caller hears 503. */
export const DECISION_WAIT_MS = 20_000;

/** The same decision sent twice gets the same update id (Temporal runs an update id once per run). */
export function decisionUpdateId(input: ApprovalDecisionInput): string {
  const { call_id: callId, decision, reason, arguments: args } = input;
  const digest = crypto
    .createHash('sha256')
    .update(JSON.stringify([decision, reason ?? null, args ?? null]))
    .digest('hex')
    .slice(0, 16);
  return `decide/${callId}/${digest}`;
}

/** At most this many waiting turns are read for one inbox answer. */
export const MAX_INBOX_TURNS = 100;

export class TurnControlService {
  constructor(
    private readonly client: Client,
    private readonly missionControl: MissionControlClient,
  ) {}

  /**
   * Whether a turn waits for a person, from its ClasperAwaitingApproval search attribute (upserted
   * in the same workflow task as the wait begins). A describe is answered by the server alone; the
   * `progress` query a synchronous send used to poll every 300 ms also woke the worker for each
   * in-flight request. False when it cannot say (the send keeps waiting for the result).
   */
  async awaitingApproval(handle: WorkflowHandle): Promise<boolean> {
    try {
      return (await handle.describe()).typedSearchAttributes.get(ClasperAwaitingApproval) === true;
    } catch {
      return false;
    }
  }

  /** The calls a running turn waits on; [] when it waits on none (or cannot say). */
  async pendingApprovals(handle: WorkflowHandle): Promise<PendingApproval[]> {
    try {
      return (
        (await handle.query(progressQuery, { afterSeq: Number.MAX_SAFE_INTEGER })).pending_approvals ?? []
      );
    } catch {
      return [];
    }
  }

  async decide(turnId: string, input: ApprovalDecisionInput): Promise<ControlResult<ApprovalRecord>> {
    const handle = this.client.workflow.getHandle(turnId);
    const running = await this.runningTurn(handle);
    if (!running.ok) return running;
    if (input.arguments) {
      const pending = (await this.pendingApprovals(handle)).find((p) => p.call_id === input.call_id);
      if (pending) {
        const problem = await this.argumentsProblem(running.value, pending.name, input.arguments);
        if (problem)
          return { ok: false, status: 400, error: `arguments do not fit ${pending.name}: ${problem}` };
      }
    }
    try {
      const value = await this.client.connection.withDeadline(Date.now() + DECISION_WAIT_MS, () =>
        handle.executeUpdate(decideApprovalUpdate, { args: [input], updateId: decisionUpdateId(input) }),
      );
      return { ok: true, value };
    } catch (err) {
      if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError)
        return {
          ok: false,
          status: 503,
          error: `no worker took the decision within ${DECISION_WAIT_MS / 1000} s, so it is not recorded yet; check that a worker runs on the turn's task queue and send the same request again (a repeated decision is recorded once)`,
        };
      if (!(err instanceof WorkflowUpdateFailedError)) throw err;
      const type = failureType(err.cause);
      const status =
        type === ApprovalError.NotFound ? 404 : type === ApprovalError.AlreadyDecided ? 409 : 400;
      return { ok: false, status, error: describeFailure(err.cause) };
    }
  }

  async cancel(turnId: string, reason: string): Promise<ControlResult<void>> {
    const handle = this.client.workflow.getHandle(turnId);
    const running = await this.runningTurn(handle);
    if (!running.ok) return running;
    // The reason first: signals reach the turn before the cancellation that follows them.
    await handle.signal(cancelReasonSignal, { reason, at: 'now' });
    await handle.cancel();
    return { ok: true, value: undefined };
  }

  /** Every tool call waiting for approval, across turns (optionally of one user), oldest turns first. */
  async inbox(userId?: string): Promise<(PendingApproval & { turn_id: string; user_id?: string })[]> {
    const query = [
      `${ClasperAwaitingApproval.name} = true`,
      `ExecutionStatus = 'Running'`,
      ...(userId ? [`${ClasperUserId.name} = '${userId.replace(/'/g, "\\'")}'`] : []),
    ].join(' AND ');
    const items: (PendingApproval & { turn_id: string; user_id?: string })[] = [];
    let seen = 0;
    for await (const wf of this.client.workflow.list({ query })) {
      if (++seen > MAX_INBOX_TURNS) break;
      const user = wf.typedSearchAttributes.get(ClasperUserId);
      for (const p of await this.pendingApprovals(this.client.workflow.getHandle(wf.workflowId)))
        items.push({ ...p, turn_id: wf.workflowId, ...(user ? { user_id: user } : {}) });
    }
    return items;
  }

  private async runningTurn(
    handle: WorkflowHandle,
  ): Promise<ControlResult<{ userId: string; role: string }>> {
    try {
      const desc = await handle.describe();
      if (desc.status.name !== 'RUNNING') {
        return {
          ok: false,
          status: 409,
          error: `turn ${handle.workflowId} has ended (${desc.status.name.toLowerCase()})`,
        };
      }
      const sa = desc.typedSearchAttributes;
      return {
        ok: true,
        value: { userId: sa.get(ClasperUserId) ?? '', role: sa.get(ClasperAgentRole) ?? '' },
      };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError)
        return { ok: false, status: 404, error: `no turn '${handle.workflowId}'` };
      throw err;
    }
  }

  /** Checks edited arguments against the tool's JSON schema as the turn's agent sees the tools. */
  private async argumentsProblem(
    identity: { userId: string; role: string },
    tool: string,
    args: Record<string, unknown>,
  ): Promise<string | undefined> {
    const specs = await listTools(this.missionControl, identity);
    const spec = specs.find((s) => s.function.name === tool);
    if (!spec) return undefined; // the runTool activity validates again and reports to the model
    const validate = compileSchema(spec.function.parameters);
    if (validate(args)) return undefined;
    return (validate.errors ?? [])
      .map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`.trim())
      .join('; ');
  }
}
