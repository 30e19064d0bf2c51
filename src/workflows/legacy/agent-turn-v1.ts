/**
 * AgentTurn as it ran before the `turn-v2-local-steps` patch: every step a regular activity, one
 * after the other, the webhook awaited inline, no fan-out or byte bounds. Frozen: runs started by
 * the old code may still be open during a deploy and must replay exactly, so this file changes only
 * with a new recorded history proving it still replays. agent-turn.ts calls it when `patched()`
 * says the run began before the patch. Remove it (and deprecate the patch) once no such run is
 * open — see docs/architecture.md ("Versioning the workflows").
 */
import {
  ActivityFailure,
  CancellationScope,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { describeFailure, failureType, isNonRetryableFailure } from '../../shared/failures';
import { makeIdempotencyKey, makeToolActivityId, REPLY_ACTIVITY_ID } from '../../shared/ids';
import { ProgressTracker, progressQuery } from '../../shared/progress';
import { ClasperTaskId } from '../../shared/search-attributes';
import { planTitle, userPrompt, type AgentTurnInput, type AgentTurnResult } from '../../shared/turn';
import type { CallModelResult, ToolCall, ToolOutcome, ToolSpec } from '../../shared/types';
import { usageSearchAttributes } from '../../shared/usage';
import { BACKEND_CALLS, LOCAL_READS, modelCalls, TOOL_CALLS, WEBHOOK_CALLS } from '../lib/activity-options';
import { completedWebhook, failedWebhook, summariseArguments } from '../lib/turn-webhook';
import { conversationChars, decideStep, TurnLedger } from '../lib/turn-ledger';

const backend = proxyActivities<Activities>(BACKEND_CALLS);
const local = proxyActivities<Activities>(LOCAL_READS);
const tools = proxyActivities<Activities>(TOOL_CALLS);
const webhook = proxyActivities<Activities>(WEBHOOK_CALLS);

// Model calls: five attempts, then the fallback model (if any). `input.timings` may shorten the
// initial interval (tests only; the API never sets it).
function modelActivities(timings: AgentTurnInput['timings']) {
  return proxyActivities<Activities>(modelCalls(timings?.modelRetryInitialMs));
}

/** What every step of one turn needs: who it is, where it replies, what the model may call. */
interface Turn {
  input: AgentTurnInput;
  turnId: string;
  identity: { userId: string; role: string };
  model: ReturnType<typeof modelActivities>;
  /** Tool events and the answer for the API's SSE stream, which polls the `progress` query. */
  progress: ProgressTracker;
  taskId: string;
  toolSpecs: ToolSpec[];
  knownTools: ReadonlySet<string>;
  workspace: Awaited<ReturnType<Activities['loadWorkspace']>>;
}

export async function agentTurnV1(input: AgentTurnInput): Promise<AgentTurnResult> {
  const progress = new ProgressTracker();
  setHandler(progressQuery, (request) => progress.view(request));
  try {
    const prompt = userPrompt(input.message, input.metadata);
    const turn = await prepare(input, progress, prompt);
    const ledger = new TurnLedger(turn.workspace.systemPrompt, input.history, prompt);

    for (let step = 1; step <= input.maxToolIterations; step++) {
      progress.stepStarted(step);
      const answer = await callModelWithFallback(turn, ledger, step);
      ledger.recordAnswer(answer);
      const decision = decideStep(answer);
      if (decision.kind === 'answer') return await finishAnswered(turn, ledger, decision.text, step);
      const outcomes = await runTools(turn, step, decision.calls);
      ledger.recordToolRound(answer.content, decision.calls, outcomes);
    }
    return await finishCapped(turn, ledger);
  } catch (err) {
    await finishFailed(input, err);
    throw err;
  }
}

/** Resolve the task, load the workspace and list the tools: everything the loop needs. */
async function prepare(input: AgentTurnInput, progress: ProgressTracker, prompt: string): Promise<Turn> {
  const identity = { userId: input.userId, role: input.role };
  const task = await backend.resolveTask.executeWithOptions(
    { summary: `resolve task ${input.taskId ? `id ${input.taskId}` : `"${input.taskTitle ?? 'default'}"`}` },
    [
      {
        ...identity,
        taskId: input.taskId,
        taskTitle: input.taskTitle,
        taskDescription: input.taskDescription,
        taskMetadata: input.taskMetadata,
      },
    ],
  );
  upsertSearchAttributes([{ key: ClasperTaskId, value: task.taskId }]);

  const workspace = await local.loadWorkspace.executeWithOptions(
    { summary: `load workspace for ${input.role}` },
    [
      {
        role: input.role,
        timezone: typeof input.metadata.timezone === 'string' ? input.metadata.timezone : undefined,
        systemPromptOverride:
          typeof input.metadata.system_prompt === 'string' ? input.metadata.system_prompt : undefined,
        systemMessages: input.history.filter((m) => m.role === 'system').map((m) => m.content),
        conversationChars: conversationChars(input, prompt),
      },
    ],
  );
  const toolSpecs = await backend.listTools.executeWithOptions({ summary: 'list tools' }, [identity]);
  return {
    input,
    turnId: workflowInfo().workflowId,
    identity,
    model: modelActivities(input.timings),
    progress,
    taskId: task.taskId,
    toolSpecs,
    knownTools: new Set(toolSpecs.map((t) => t.function.name)),
    workspace,
  };
}

/** The primary model with its retries; when those are spent on a retryable error, the fallback tier. */
async function callModelWithFallback(turn: Turn, ledger: TurnLedger, step: number): Promise<CallModelResult> {
  // rejectEmpty: an empty answer is retried as a model fault, never posted as the reply.
  const args = {
    messages: ledger.messages,
    tools: turn.toolSpecs.length > 0 ? turn.toolSpecs : undefined,
    rejectEmpty: true,
  };
  try {
    return await turn.model.callModel.executeWithOptions(
      { summary: `model step ${step}`, activityId: `model:${step}` },
      [{ ...args, tier: 'default' }],
    );
  } catch (err) {
    if (!(err instanceof ActivityFailure) || isNonRetryableFailure(err)) throw err;
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

/** Every call of one answer at once; outcomes come back in the calls' order. */
function runTools(turn: Turn, step: number, calls: ToolCall[]): Promise<ToolOutcome[]> {
  return Promise.all(
    calls.map((call) =>
      runToolCall(turn, step, call).then((o) => turn.progress.toolFinished(step, call.function.name, o)),
    ),
  );
}

/** One tool call as one activity; every way it can go wrong becomes a tool error for the model. */
async function runToolCall(turn: Turn, step: number, call: ToolCall): Promise<ToolOutcome> {
  const name = call.function.name;
  if (!turn.knownTools.has(name)) {
    // Never schedule an activity for it: the model made the name up.
    const error = `unknown tool '${name}'; available tools: ${[...turn.knownTools].join(', ')}`;
    return { ok: false, error, content: JSON.stringify({ error }) };
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
    const error = `tool ${name} failed: ${describeFailure(err)}`;
    return { ok: false, error, content: JSON.stringify({ error }) };
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
  return complete(turn, ledger, { response: ledger.cappedResponse(max), iterations: max, capped: true });
}

/** Post the reply (unless it is the silent one), tell the webhook, record usage, return the result. */
async function complete(
  turn: Turn,
  ledger: TurnLedger,
  end: { response: string; iterations: number; capped: boolean },
): Promise<AgentTurnResult> {
  const { input, turnId, workspace } = turn;
  turn.progress.answered(end.response);
  const silent = input.silentReply !== undefined && end.response.trim() === input.silentReply;
  const reply = silent
    ? undefined
    : await backend.postReply.executeWithOptions({ summary: `post reply on task ${turn.taskId}` }, [
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

/** Any step failed for good: tell the webhook (a cancelled turn tells no one) and let the error end the turn. */
async function finishFailed(input: AgentTurnInput, err: unknown): Promise<void> {
  if (isCancellation(err)) return;
  await notify(input, failedWebhook(input, workflowInfo().workflowId, describeFailure(err)));
}

async function notify(input: AgentTurnInput, payload: Record<string, unknown>): Promise<void> {
  if (!input.webhook) return;
  const { url, sealed } = input.webhook;
  // Runs even when the turn is being failed or cancelled, and never changes the turn's outcome.
  await CancellationScope.nonCancellable(async () => {
    try {
      await webhook.sendWebhook.executeWithOptions({ summary: `webhook ${String(payload.event)}` }, [
        { url, sealed, payload: { ...payload, timestamp: new Date().toISOString() } },
      ]);
    } catch (err) {
      log.warn('webhook could not be delivered', { error: describeFailure(err) });
    }
  });
}
