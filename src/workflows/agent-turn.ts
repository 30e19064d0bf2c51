/**
 * AgentTurn: one incoming message → one agent reply, every side effect a durable activity.
 *
 *   resolve task → load workspace and tools → model/tool loop (bounded) → post reply → webhook
 *
 * Responsibilities of the loop: feed the model the conversation, run each tool call it asks for as
 * its own activity (idempotency key `<workflowId>/tool:<step>:<callId>`), turn hallucinated tools,
 * bad arguments and tools that failed for good into tool errors the model can read, and stop at
 * CLASPER_MAX_TOOL_ITERATIONS. Deterministic code only: activities are imported as types.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
  log,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { makeIdempotencyKey, makeToolActivityId, REPLY_ACTIVITY_ID } from '../shared/ids';
import { ClasperTaskId } from '../shared/search-attributes';
import { usageSearchAttributes } from '../shared/usage';
import { ProgressTracker, progressQuery } from '../shared/progress';
import {
  addCost,
  addUsage,
  capNote,
  planTitle,
  userPrompt,
  withUniqueToolCallIds,
  ZERO_USAGE,
  type AgentTurnInput,
  type AgentTurnResult,
} from '../shared/turn';
import type {
  CallModelResult,
  ChatMessage,
  ToolCall,
  ToolOutcome,
  TurnToolCall,
  Usage,
} from '../shared/types';
import { BACKEND_CALLS, LOCAL_READS, modelCalls, TOOL_CALLS, WEBHOOK_CALLS } from './lib/activity-options';

const backend = proxyActivities<Activities>(BACKEND_CALLS);

const local = proxyActivities<Activities>(LOCAL_READS);

// Model calls: five attempts, then the fallback model (if any). `input.timings` may shorten the
// initial interval (tests only; the API never sets it).
function modelActivities(timings: AgentTurnInput['timings']) {
  return proxyActivities<Activities>(modelCalls(timings?.modelRetryInitialMs));
}
type ModelActivities = ReturnType<typeof modelActivities>;

const tools = proxyActivities<Activities>(TOOL_CALLS);

const webhook = proxyActivities<Activities>(WEBHOOK_CALLS);

export async function agentTurn(input: AgentTurnInput): Promise<AgentTurnResult> {
  const turnId = workflowInfo().workflowId;
  // Tool events and the answer for the API's SSE stream, which polls this query (lib/progress.ts).
  const progress = new ProgressTracker();
  setHandler(progressQuery, (request) => progress.view(request));
  const identity = { userId: input.userId, role: input.role };
  const model = modelActivities(input.timings);
  try {
    const task = await backend.resolveTask.executeWithOptions(
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
    );
    upsertSearchAttributes([{ key: ClasperTaskId, value: task.taskId }]);

    const systemMessages = input.history.filter((m) => m.role === 'system').map((m) => m.content);
    const conversation = input.history.filter((m) => m.role !== 'system');
    const prompt = userPrompt(input.message, input.metadata);
    const workspace = await local.loadWorkspace.executeWithOptions(
      { summary: `load workspace for ${input.role}` },
      [
        {
          role: input.role,
          timezone: typeof input.metadata.timezone === 'string' ? input.metadata.timezone : undefined,
          systemPromptOverride:
            typeof input.metadata.system_prompt === 'string' ? input.metadata.system_prompt : undefined,
          systemMessages,
          conversationChars: conversation.reduce((n, m) => n + m.content.length, prompt.length),
        },
      ],
    );
    const toolSpecs = await backend.listTools.executeWithOptions({ summary: 'list tools' }, [identity]);
    const knownTools = new Set(toolSpecs.map((t) => t.function.name));

    const messages: ChatMessage[] = [
      { role: 'system', content: workspace.systemPrompt },
      ...conversation.map((m): ChatMessage => ({ role: m.role as 'user' | 'assistant', content: m.content })),
      { role: 'user', content: prompt },
    ];

    let usage: Usage = ZERO_USAGE;
    let cost: number | null = 0;
    let modelName = '';
    let lastText = '';
    let finalText: string | undefined;
    const toolCalls: TurnToolCall[] = [];
    let step = 0;

    for (step = 1; step <= input.maxToolIterations; step++) {
      progress.stepStarted(step);
      const answer = await callModelWithFallback(model, messages, toolSpecs, step);
      usage = addUsage(usage, answer.usage);
      cost = addCost(cost, answer.cost);
      modelName = answer.model;
      if (answer.content) lastText = answer.content;

      if (answer.toolCalls.length === 0) {
        finalText = answer.content ?? '';
        break;
      }
      // Ids become activity ids: an id repeated in one answer (some servers send empty ones) would
      // schedule two activities with one id, which the server refuses, and the turn would hang.
      const calls = withUniqueToolCallIds(answer.toolCalls);
      messages.push({ role: 'assistant', content: answer.content, tool_calls: calls });
      const outcomes = await Promise.all(
        calls.map((call) =>
          runToolCall(turnId, identity, step, call, knownTools).then((o) =>
            progress.toolFinished(step, call.function.name, o),
          ),
        ),
      );
      calls.forEach((call, i) => {
        const outcome = outcomes[i] as ToolOutcome;
        messages.push({ role: 'tool', tool_call_id: call.id, content: outcome.content });
        toolCalls.push({
          name: call.function.name,
          ok: outcome.ok,
          ...(outcome.error ? { error: outcome.error } : {}),
        });
      });
    }

    const capped = finalText === undefined;
    const iterations = capped ? input.maxToolIterations : step;
    const response = capped
      ? [lastText, capNote(input.maxToolIterations)].filter(Boolean).join('\n\n')
      : (finalText as string);
    progress.answered(response);

    const silent = input.silentReply !== undefined && response.trim() === input.silentReply;
    const reply = silent
      ? undefined
      : await backend.postReply.executeWithOptions({ summary: `post reply on task ${task.taskId}` }, [
          {
            ...identity,
            taskId: task.taskId,
            content: response,
            idempotencyKey: makeIdempotencyKey(turnId, REPLY_ACTIVITY_ID),
            planTitle: planTitle(input.metadata),
          },
        ]);

    const result: AgentTurnResult = {
      status: 'ok',
      turn_id: turnId,
      task_id: task.taskId,
      response,
      usage,
      cost,
      model: modelName,
      tool_calls: toolCalls,
      iterations,
      capped,
      posted: !silent,
      ...(reply?.messageId ? { message_id: reply.messageId } : {}),
      ...(reply?.documentId ? { document_id: reply.documentId } : {}),
      workspace_hash: workspace.hash,
      ...(workspace.contextWarning ? { context_warning: workspace.contextWarning } : {}),
    };
    await notify(input, { event: 'agent.completed', turn_id: turnId, ...resultForWebhook(input, result) });
    // Tokens and cost on the turn itself, so GET /usage sums them from visibility.
    upsertSearchAttributes(usageSearchAttributes(input.userId, result));
    return result;
  } catch (err) {
    if (!isCancellation(err)) {
      await notify(input, {
        event: 'agent.failed',
        turn_id: turnId,
        user_id: input.userId,
        role: input.role,
        error: describeFailure(err),
        metadata: input.metadata,
      });
    }
    throw err;
  }
}

/** The primary model with its retries; when those are spent on a retryable error, the fallback tier. */
async function callModelWithFallback(
  model: ModelActivities,
  messages: ChatMessage[],
  toolSpecs: Awaited<ReturnType<Activities['listTools']>>,
  step: number,
): Promise<CallModelResult> {
  // rejectEmpty: an empty answer is retried as a model fault, never posted as the reply.
  const args = { messages, tools: toolSpecs.length > 0 ? toolSpecs : undefined, rejectEmpty: true };
  try {
    return await model.callModel.executeWithOptions(
      { summary: `model step ${step}`, activityId: `model:${step}` },
      [{ ...args, tier: 'default' }],
    );
  } catch (err) {
    if (!(err instanceof ActivityFailure) || isNonRetryable(err)) throw err;
    log.warn('primary model failed after its retries; trying the fallback model', {
      step,
      error: err.message,
    });
    try {
      return await model.callModel.executeWithOptions(
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

/** One tool call as one activity; every way it can go wrong becomes a tool error for the model. */
async function runToolCall(
  turnId: string,
  identity: { userId: string; role: string },
  step: number,
  call: ToolCall,
  knownTools: ReadonlySet<string>,
): Promise<ToolOutcome> {
  const name = call.function.name;
  if (!knownTools.has(name)) {
    // Never schedule an activity for it: the model made the name up.
    const error = `unknown tool '${name}'; available tools: ${[...knownTools].join(', ')}`;
    return { ok: false, error, content: JSON.stringify({ error }) };
  }
  const activityId = makeToolActivityId(step, call.id);
  try {
    return await tools.runTool.executeWithOptions(
      { summary: `${name} ${summariseArguments(call.function.arguments)}`, activityId },
      [
        {
          ...identity,
          name,
          argumentsJson: call.function.arguments,
          idempotencyKey: makeIdempotencyKey(turnId, activityId),
        },
      ],
    );
  } catch (err) {
    if (isCancellation(err)) throw err;
    const error = `tool ${name} failed: ${describeFailure(err)}`;
    return { ok: false, error, content: JSON.stringify({ error }) };
  }
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

function resultForWebhook(input: AgentTurnInput, r: AgentTurnResult): Record<string, unknown> {
  return {
    task_id: r.task_id,
    user_id: input.userId,
    role: input.role,
    response: r.response,
    usage: r.usage,
    cost: r.cost,
    tool_calls: r.tool_calls,
    metadata: input.metadata,
  };
}

function summariseArguments(json: string): string {
  const oneLine = json.replace(/\s+/g, ' ');
  return oneLine.length > 80 ? `${oneLine.slice(0, 77)}...` : oneLine;
}

function rootCause(err: unknown): unknown {
  let cur = err;
  while (cur instanceof ActivityFailure && cur.cause) cur = cur.cause;
  return cur;
}

function failureType(err: unknown): string | undefined {
  const cause = rootCause(err);
  return cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
}

function isNonRetryable(err: ActivityFailure): boolean {
  const cause = rootCause(err);
  return cause instanceof ApplicationFailure && cause.nonRetryable === true;
}

export function describeFailure(err: unknown): string {
  const cause = rootCause(err);
  return cause instanceof Error ? cause.message : String(cause);
}
