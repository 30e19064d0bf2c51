/**
 * AgentTurn: one incoming message → one agent reply, every side effect a durable activity.
 *
 *   prepare (resolve task ∥ load workspace ∥ list tools) → model/tool loop (bounded) → post reply
 *   → webhook (an abandoned child workflow, so the answer never waits for the receiver)
 *
 * The loop runs at most `maxToolIterations` steps. Each step calls the model once and decides
 * (lib/turn-ledger.ts): a final text answer ends the turn; tool calls run, each as its own
 * activity (idempotency key `<workflowId>/tool:<step>:<callId>`), and their results — or the tool
 * errors the model can read, for hallucinated tools, bad arguments, tools that failed for good and
 * calls over the fan-out caps — feed the next step. A conversation over the byte budget stops the
 * turn like the iteration cap. Each outcome has its own finishing function: answered, capped,
 * failed. See docs/architecture.md ("The AgentTurn step shape").
 *
 * The cheap, keyed steps (task, workspace, tools, reply) are local activities: they run inside
 * the workflow task, so a plain turn is two workflow tasks around one model activity. Runs begun
 * before this shape replay through legacy/agent-turn-v1.ts. Deterministic code only.
 */
import {
  ActivityFailure,
  CancellationScope,
  isCancellation,
  log,
  ParentClosePolicy,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  startChild,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../activities';
import { budgetFor } from '../shared/budget';
import { describeFailure, failureType, isNonRetryableFailure } from '../shared/failures';
import { makeIdempotencyKey, makeToolActivityId, REPLY_ACTIVITY_ID } from '../shared/ids';
import { ProgressTracker, progressQuery } from '../shared/progress';
import { StreamLog, streamQuery, streamTextSignal } from '../shared/stream';
import { ClasperAwaitingApproval, ClasperTaskId } from '../shared/search-attributes';
import {
  bytesCapNote,
  DEFAULT_TURN_LIMITS,
  planTitle,
  userPrompt,
  ZERO_USAGE,
  type AgentTurnInput,
  type AgentTurnResult,
  type TurnLimits,
} from '../shared/turn';
import type { CallModelResult, ToolCall, ToolOutcome, ToolSpec } from '../shared/types';
import { usageSearchAttributes } from '../shared/usage';
import { makeWebhookDeliveryId } from '../shared/webhook';
import { WorkflowType, type WebhookDeliveryWorkflow } from '../shared/workflow-types';
import { LOCAL_BACKEND_STEPS, LOCAL_STEPS, modelCalls, TOOL_CALLS } from './lib/activity-options';
import { ApprovalDesk } from './lib/approval-desk';
import { Semaphore } from './lib/bounded';
import { conversationChars, decideStep, planToolRound, TurnLedger } from './lib/turn-ledger';
import { TurnControl } from './lib/turn-control';
import {
  approvalRequiredWebhook,
  cancelledWebhook,
  completedWebhook,
  failedWebhook,
  summariseArguments,
} from './lib/turn-webhook';
import { childTimeout } from './lib/child-timeouts';
import { SteerInbox } from './lib/steer-inbox';
import { FAILED_TURN_USAGE_PATCH, TURN_BUDGET_PATCH, TURN_STEER_PATCH, TURN_V2_PATCH } from './lib/versions';
import { agentTurnV1 } from './legacy/agent-turn-v1';

const backendSteps = proxyLocalActivities<Activities>(LOCAL_BACKEND_STEPS);
const localSteps = proxyLocalActivities<Activities>(LOCAL_STEPS);
const tools = proxyActivities<Activities>(TOOL_CALLS);

// Model calls: five attempts, then the fallback model (if any). `input.timings` may shorten the
// initial interval (tests only; the API never sets it).
function modelActivities(timings: AgentTurnInput['timings']) {
  return proxyActivities<Activities>(modelCalls(timings?.modelRetryInitialMs));
}

/** What every step of one turn needs: who it is, where it replies, what the model may call. */
interface Turn {
  control: TurnControl;
  approvals: ApprovalDesk;
  /** Tools whose calls wait for a person's decision (backend `requires_approval`, CLASPER_APPROVAL_TOOLS). */
  approvalTools: ReadonlySet<string>;
  input: AgentTurnInput;
  turnId: string;
  identity: { userId: string; role: string };
  limits: TurnLimits;
  model: ReturnType<typeof modelActivities>;
  /** Tool events and the answer, read by the `progress` query (turn status, inbox). */
  progress: ProgressTracker;
  /** What a streaming client shows, read by the `stream` query from any offset (shared/stream.ts). */
  stream: StreamLog;
  taskId: string;
  toolSpecs: ToolSpec[];
  knownTools: ReadonlySet<string>;
  workspace: Awaited<ReturnType<Activities['loadWorkspace']>>;
  /** Model calls inside the user's budget; runs begun before budgets call without it. */
  budgeted: boolean;
}

export async function agentTurn(input: AgentTurnInput): Promise<AgentTurnResult> {
  if (!patched(TURN_V2_PATCH)) return agentTurnV1(input);
  const stream = new StreamLog();
  setHandler(streamQuery, (request) => stream.page(request));
  setHandler(streamTextSignal, (batch) => stream.text(batch));
  const progress = new ProgressTracker(stream);
  setHandler(progressQuery, (request) => progress.view(request));
  const control = new TurnControl();
  const approvals = new ApprovalDesk((pending) => {
    progress.approvalsPending(approvals.view());
    upsertSearchAttributes([{ key: ClasperAwaitingApproval, value: pending > 0 }]);
  });
  // Messages a session steers into this turn (shared/session.ts); runs begun before take none.
  const steered = patched(TURN_STEER_PATCH) ? new SteerInbox(input.maxToolIterations) : undefined;
  // The model usage so far, for a turn that fails before it completes.
  let spent: TurnLedger | undefined;
  try {
    const prompt = userPrompt(input.message, input.metadata);
    const turn = await control.step(() => prepare(input, { progress, stream, control, approvals }, prompt));
    const ledger = new TurnLedger(turn.workspace.systemPrompt, input.history, prompt);
    spent = ledger;

    for (let step = 1; step <= input.maxToolIterations; step++) {
      progress.stepStarted(step);
      for (const message of steered?.take(step) ?? []) ledger.recordSteered(message);
      const answer = await control.step(() => callModelWithFallback(turn, ledger, step));
      ledger.recordAnswer(answer);
      stream.settle(step, answer.content ?? '');
      const decision = decideStep(answer);
      if (decision.kind === 'answer') {
        // A message steered in while the model wrote this answer: the model answers it too.
        if (steered?.pending && step < input.maxToolIterations) {
          ledger.recordInterimAnswer(decision.text);
          continue;
        }
        steered?.close();
        return await finishAnswered(turn, ledger, decision.text, step);
      }
      const outcomes = await control.step(
        () => runTools(turn, ledger, step, decision.calls, answer.intactToolCalls),
        { waitsForPeople: decision.calls.some((c) => turn.approvalTools.has(c.function.name)) },
      );
      ledger.recordToolRound(answer.content, decision.calls, outcomes);
      if (ledger.overBudget(turn.limits)) {
        steered?.close();
        return await finishOverBudget(turn, ledger, step);
      }
    }
    steered?.close();
    return await finishCapped(turn, ledger);
  } catch (err) {
    if (isCancellation(err)) await finishCancelled(input, control, approvals);
    else await finishFailed(input, err, spent);
    throw err;
  }
}

/** Resolve the task, load the workspace and list the tools, all at once: everything the loop needs. */
async function prepare(
  input: AgentTurnInput,
  parts: Pick<Turn, 'progress' | 'stream' | 'control' | 'approvals'>,
  prompt: string,
): Promise<Turn> {
  const identity = { userId: input.userId, role: input.role };
  const [task, workspace, toolSpecs] = await Promise.all([
    backendSteps.resolveTask.executeWithOptions(
      {
        summary: `resolve task ${input.taskId ? `id ${input.taskId}` : `"${input.taskTitle ?? 'default'}"`}`,
      },
      [
        {
          ...identity,
          taskId: input.taskId,
          taskTitle: input.taskTitle,
          taskDescription: input.taskDescription,
          taskMetadata: input.taskMetadata,
        },
      ],
    ),
    localSteps.loadWorkspace.executeWithOptions({ summary: `load workspace for ${input.role}` }, [
      {
        role: input.role,
        timezone: typeof input.metadata.timezone === 'string' ? input.metadata.timezone : undefined,
        systemPromptOverride:
          typeof input.metadata.system_prompt === 'string' ? input.metadata.system_prompt : undefined,
        systemMessages: input.history.filter((m) => m.role === 'system').map((m) => m.content),
        conversationChars: conversationChars(input, prompt),
      },
    ]),
    backendSteps.listTurnTools.executeWithOptions({ summary: 'list tools' }, [identity]),
  ]);
  upsertSearchAttributes([{ key: ClasperTaskId, value: task.taskId }]);
  return {
    ...parts,
    input,
    turnId: workflowInfo().workflowId,
    identity,
    limits: input.limits ?? DEFAULT_TURN_LIMITS,
    model: modelActivities(input.timings),
    taskId: task.taskId,
    toolSpecs: toolSpecs.tools,
    knownTools: new Set(toolSpecs.tools.map((t) => t.function.name)),
    approvalTools: new Set(toolSpecs.approvalRequired),
    workspace,
    budgeted: patched(TURN_BUDGET_PATCH),
  };
}

/** The primary model with its retries; when those are spent on a retryable error, the fallback tier. */
async function callModelWithFallback(turn: Turn, ledger: TurnLedger, step: number): Promise<CallModelResult> {
  // rejectEmpty: an empty answer is retried as a model fault, never posted as the reply.
  const args = {
    messages: ledger.messages,
    tools: turn.toolSpecs.length > 0 ? turn.toolSpecs : undefined,
    rejectEmpty: true,
    // The answer is this activity's result, in history: never more calls or bytes than a turn runs.
    clip: { maxToolCalls: turn.limits.maxToolCallsPerStep, maxBytes: turn.limits.maxTurnBytes },
    // Text deltas go to this turn's stream log as the model writes them, only when a client asked.
    ...(turn.input.stream ? { stream: { step } } : {}),
    ...(turn.budgeted ? budgetFor(turn.input.userId) : {}),
  };
  try {
    return await turn.model.callModel.executeWithOptions(
      { summary: `model step ${step}`, activityId: `model:${step}` },
      [{ ...args, tier: 'default' }],
    );
  } catch (err) {
    if (isCancellation(err) || !(err instanceof ActivityFailure) || isNonRetryableFailure(err)) throw err;
    log.warn('primary model failed after its retries; trying the fallback model', {
      step,
      error: err.message,
    });
    try {
      return await turn.model.callModel.executeWithOptions(
        { summary: `fallback model step ${step}`, activityId: `model:${step}:fallback` },
        [{ ...args, tier: 'fallback' }],
      );
    } catch (fallbackErr) {
      // No fallback configured: the primary's failure is the one worth reading in the UI.
      if (failureType(fallbackErr) === 'Model.NoFallback') throw err;
      throw fallbackErr;
    }
  }
}

/**
 * The calls of one answer under the fan-out caps: the first ones run, at most `toolConcurrency` at
 * a time; the rest come back as tool errors. A call that needs approval waits for its decision
 * first, holding no lane, so the step's other calls run meanwhile. Outcomes are in the calls' order.
 */
async function runTools(
  turn: Turn,
  ledger: TurnLedger,
  step: number,
  calls: ToolCall[],
  intact?: number,
): Promise<ToolOutcome[]> {
  const plan = planToolRound(calls, turn.limits, ledger.toolCallsRun, intact);
  ledger.toolCallsRun += plan.run.length;
  const lanes = new Semaphore(turn.limits.toolConcurrency);
  const ran = await Promise.all(
    plan.run.map(async (call) => {
      const approved = await approvalOf(turn, step, call);
      const outcome =
        approved.kind === 'denied'
          ? toolError(`denied by reviewer: ${approved.reason}`)
          : await lanes.run(() => {
              turn.progress.toolStarted(step, call.function.name, call.id);
              return runToolCall(turn, step, approved.call);
            });
      return turn.progress.toolFinished(step, call.function.name, outcome, call.id);
    }),
  );
  const refused = plan.refused.map(({ call, error }) =>
    turn.progress.toolFinished(step, call.function.name, toolError(error)),
  );
  return [...ran, ...refused];
}

/** A call that needs no approval runs as asked; one that does waits for its decision. */
async function approvalOf(
  turn: Turn,
  step: number,
  call: ToolCall,
): Promise<{ kind: 'run'; call: ToolCall } | { kind: 'denied'; reason: string }> {
  if (!turn.approvalTools.has(call.function.name)) return { kind: 'run', call };
  const waiting = turn.approvals.await(call, step, turn.limits.approvalTimeoutSec * 1000);
  await notify(turn.input, approvalRequiredWebhook(turn.input, turn.turnId, call, step), call.id);
  const decision = await waiting;
  turn.progress.approvalDecided(decision);
  if (decision.decision === 'deny') return { kind: 'denied', reason: decision.reason ?? 'no reason given' };
  if (!decision.arguments) return { kind: 'run', call };
  return {
    kind: 'run',
    call: { ...call, function: { ...call.function, arguments: JSON.stringify(decision.arguments) } },
  };
}

function toolError(error: string): ToolOutcome {
  return { ok: false, error, content: JSON.stringify({ error }) };
}

/** One tool call as one activity; every way it can go wrong becomes a tool error for the model. */
async function runToolCall(turn: Turn, step: number, call: ToolCall): Promise<ToolOutcome> {
  const name = call.function.name;
  if (!turn.knownTools.has(name)) {
    // Never schedule an activity for it: the model made the name up.
    return toolError(`unknown tool '${name}'; available tools: ${[...turn.knownTools].join(', ')}`);
  }
  const activityId = makeToolActivityId(step, call.id);
  try {
    return await tools.runTool.executeWithOptions(
      { summary: `${name} ${summariseArguments(call.function.arguments)}`, activityId },
      [
        {
          ...turn.identity,
          name,
          argumentsJson: call.function.arguments,
          idempotencyKey: makeIdempotencyKey(turn.turnId, activityId),
        },
      ],
    );
  } catch (err) {
    if (isCancellation(err)) throw err;
    return toolError(`tool ${name} failed: ${describeFailure(err)}`);
  }
}

/** The model gave a final answer at `step`. */
function finishAnswered(
  turn: Turn,
  ledger: TurnLedger,
  text: string,
  step: number,
): Promise<AgentTurnResult> {
  return complete(turn, ledger, { response: text, iterations: step, capped: false });
}

/** The iteration cap ended the loop first: the last text seen plus a note saying so. */
function finishCapped(turn: Turn, ledger: TurnLedger): Promise<AgentTurnResult> {
  const max = turn.input.maxToolIterations;
  return complete(turn, ledger, {
    response: ledger.cappedResponse(max),
    iterations: max,
    capped: true,
    stoppedBy: 'max_tool_iterations',
  });
}

/** The conversation outgrew what a turn may feed the model: stop before the next model step. */
function finishOverBudget(turn: Turn, ledger: TurnLedger, step: number): Promise<AgentTurnResult> {
  const note = bytesCapNote(step, ledger.bytes, turn.limits.maxTurnBytes);
  return complete(turn, ledger, {
    response: ledger.withNote(note),
    iterations: step,
    capped: true,
    stoppedBy: 'max_turn_bytes',
  });
}

/** Post the reply (unless it is the silent one), start the webhook, record usage, return the result. */
async function complete(
  turn: Turn,
  ledger: TurnLedger,
  end: { response: string; iterations: number; capped: boolean; stoppedBy?: AgentTurnResult['stopped_by'] },
): Promise<AgentTurnResult> {
  const { input, turnId, workspace } = turn;
  turn.progress.answered(end.response);
  turn.stream.settle(end.iterations, end.response);
  const silent = input.silentReply !== undefined && end.response.trim() === input.silentReply;
  const reply = silent
    ? undefined
    : await backendSteps.postReply.executeWithOptions({ summary: `post reply on task ${turn.taskId}` }, [
        {
          ...turn.identity,
          taskId: turn.taskId,
          content: end.response,
          idempotencyKey: makeIdempotencyKey(turnId, REPLY_ACTIVITY_ID),
          planTitle: planTitle(input.metadata),
        },
      ]);

  const result: AgentTurnResult = {
    status: 'ok',
    turn_id: turnId,
    task_id: turn.taskId,
    response: end.response,
    usage: ledger.usage,
    cost: ledger.cost,
    model: ledger.model,
    tool_calls: ledger.toolCalls,
    iterations: end.iterations,
    capped: end.capped,
    ...(end.stoppedBy ? { stopped_by: end.stoppedBy } : {}),
    posted: !silent,
    ...(reply?.messageId ? { message_id: reply.messageId } : {}),
    ...(reply?.documentId ? { document_id: reply.documentId } : {}),
    workspace_hash: workspace.hash,
    ...(workspace.contextWarning ? { context_warning: workspace.contextWarning } : {}),
  };
  await notify(input, completedWebhook(input, result));
  // Tokens and cost on the turn itself, so GET /usage sums them from visibility.
  upsertSearchAttributes(usageSearchAttributes(input.userId, result));
  return result;
}

/**
 * Any step failed for good: record the tokens the turn's model calls used (GET /usage counts
 * failed turns too), tell the webhook and let the error end the turn.
 */
async function finishFailed(input: AgentTurnInput, err: unknown, spent?: TurnLedger): Promise<void> {
  if (patched(FAILED_TURN_USAGE_PATCH))
    upsertSearchAttributes(usageSearchAttributes(input.userId, spent ?? { usage: ZERO_USAGE, cost: 0 }));
  await notify(input, failedWebhook(input, workflowInfo().workflowId, describeFailure(err)));
}

/**
 * The turn was cancelled (the cancel endpoint, a session's interrupt, the Temporal UI): nothing
 * more runs and no reply is posted. The reason is kept in the memo, so the turn's status shows it
 * after the run has closed; pending approvals are dropped; the webhook hears `agent.cancelled`.
 */
async function finishCancelled(
  input: AgentTurnInput,
  control: TurnControl,
  approvals: ApprovalDesk,
): Promise<void> {
  approvals.dropAll();
  upsertMemo({ cancel_reason: control.reason });
  await notify(input, cancelledWebhook(input, workflowInfo().workflowId, control.reason));
}

/**
 * Hands the event to its own WebhookDelivery workflow and returns once that has started: the
 * delivery retries on its own time (and outlives this turn), so the turn's answer never waits for
 * the receiver. Started even when the turn is being failed or cancelled.
 */
async function notify(input: AgentTurnInput, payload: Record<string, unknown>, key?: string): Promise<void> {
  if (!input.webhook) return;
  const { url, sealed } = input.webhook;
  const turnId = workflowInfo().workflowId;
  const event = String(payload.event);
  await CancellationScope.nonCancellable(async () => {
    try {
      await startChild<WebhookDeliveryWorkflow>(WorkflowType.webhookDelivery, {
        workflowId: makeWebhookDeliveryId(turnId, key ? `${event}/${key}` : event),
        args: [{ url, sealed, payload: { ...payload, timestamp: new Date().toISOString() } }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        ...childTimeout(WorkflowType.webhookDelivery),
        staticSummary: `webhook ${event} of ${turnId}`,
      });
    } catch (err) {
      // A reset turn reaching the same event again: that delivery was started the first time.
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  });
}
