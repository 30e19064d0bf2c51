/**
 * The activities the worker registers: thin adapters over the Mission Control client, the model
 * client, the workspace and the webhook sender. Workflows type their proxies with `Activities`.
 * Secrets (JWT secret, API keys) stay in here: inputs and results carry ids and text only.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Config } from '../config';
import { makeTaskIdempotencyKey } from '../shared/ids';
import type {
  CallModelInput,
  CallModelResult,
  ToolOutcome,
  ToolSpec,
  WorkspaceSummary,
} from '../shared/types';
import { createJsonTaskActivities } from '../clients/json-schema';
import { clipAnswer } from '../shared/answer-clip';
import { createModelActivities } from '../clients/model/call-model';
import { contextWindowOf } from '../clients/model/pricing';
import { recordModelCall, recordToolCall } from './metrics';
import { MissionControlClient, listTools, runTool, type AgentIdentity } from '../clients/mission-control';
import { createScheduleActivities } from './schedules';
import { createWebhookActivities } from '../clients/webhook/send-webhook';
import {
  createWorkspace,
  InvalidRoleError,
  InvalidTimezoneError,
  type Workspace,
} from '../clients/workspace';

export interface ActivityDeps {
  config: Config;
  /** Process environment, for skill gating only. */
  env: Record<string, string | undefined>;
  missionControl?: MissionControlClient;
  workspace?: Workspace;
}

export interface ResolveTaskInput extends AgentIdentity {
  taskId?: string;
  taskTitle?: string;
  taskDescription?: string;
  taskMetadata?: Record<string, unknown>;
}

export interface LoadWorkspaceInput {
  role: string;
  timezone?: string;
  systemPromptOverride?: string;
  systemMessages: string[];
  /** Characters of the conversation sent with the prompt, for the context warning. */
  conversationChars: number;
}

export interface PostReplyInput extends AgentIdentity {
  taskId: string;
  content: string;
  idempotencyKey: string;
  /** With `kickoff_plan`: also a `plan` document with this title. */
  planTitle?: string;
}

export interface RunToolActivityInput extends AgentIdentity {
  name: string;
  argumentsJson: string;
  idempotencyKey: string;
}

/** The cancellation signal of the running activity, so a cancelled turn aborts its HTTP calls. */
function signal(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined; // called outside an activity (tests, scripts)
  }
}

export function createActivities(deps: ActivityDeps) {
  const { config } = deps;
  const mc = deps.missionControl ?? new MissionControlClient(config.backend);
  const workspace =
    deps.workspace ??
    createWorkspace({
      root: config.agent.workspace,
      env: deps.env,
      defaultTimezone: config.agent.defaultTimezone,
      includeTimeContext: config.agent.includeTimeContext,
    });
  const model = createModelActivities({ config: config.llm });
  const webhook = createWebhookActivities({
    jwtSecret: config.backend.jwtSecret,
    allowPrivate: config.agent.webhookAllowPrivate,
  });

  return {
    /** task_id as given; else find-or-create by title (or CLASPER_DEFAULT_TASK), created at most once. */
    async resolveTask(input: ResolveTaskInput): Promise<{ taskId: string; created: boolean }> {
      if (input.taskId) return { taskId: input.taskId, created: false };
      const title = input.taskTitle ?? config.agent.defaultTask;
      if (!title) {
        throw ApplicationFailure.nonRetryable(
          'no task to reply on: pass task_id or task_title, or set CLASPER_DEFAULT_TASK',
          'Task.NotResolvable',
        );
      }
      const identity = { userId: input.userId, role: input.role };
      const opts = { signal: signal() };
      const existing = await mc.findTaskByTitle(identity, title, opts);
      if (existing) return { taskId: String(existing.id), created: false };
      try {
        const task = await mc.createTask(
          identity,
          {
            title,
            description: input.taskDescription ?? `Agent thread: ${title}`,
            status: 'in_progress',
            metadata: input.taskMetadata ?? { type: 'agent_thread' },
          },
          makeTaskIdempotencyKey(input.userId, title),
          opts,
        );
        return { taskId: String(task.id), created: true };
      } catch (err) {
        // A concurrent turn created it with another description: same key, other body → 409. Use theirs.
        if (err instanceof ApplicationFailure && err.type === 'MissionControl.Conflict') {
          const raced = await mc.findTaskByTitle(identity, title, opts);
          if (raced) return { taskId: String(raced.id), created: false };
        }
        throw err;
      }
    },

    async loadWorkspace(input: LoadWorkspaceInput): Promise<WorkspaceSummary & { contextWarning?: string }> {
      try {
        const prompt = await workspace.buildSystemPrompt({
          role: input.role,
          timezone: input.timezone,
          systemPromptOverride: input.systemPromptOverride,
          systemMessages: input.systemMessages,
        });
        const summary: WorkspaceSummary = {
          systemPrompt: prompt.systemPrompt,
          hash: prompt.hash,
          chars: prompt.chars,
          estimatedTokens: prompt.estimatedTokens,
          files: prompt.files,
        };
        const warning = contextWarning(prompt.chars + input.conversationChars, config);
        return warning ? { ...summary, contextWarning: warning } : summary;
      } catch (err) {
        if (err instanceof InvalidRoleError || err instanceof InvalidTimezoneError) {
          throw ApplicationFailure.create({
            message: err.message,
            type: err.failureType,
            nonRetryable: true,
            cause: err,
          });
        }
        throw err;
      }
    },

    async listTools(identity: AgentIdentity): Promise<ToolSpec[]> {
      return listTools(mc, identity, { signal: signal() });
    },

    async callModel(input: CallModelInput): Promise<CallModelResult> {
      const result = await model.callModel(input);
      recordModelCall(result);
      // The result lands in history: never more tool calls or bytes than the turn will use.
      return clipAnswer(result, input.clip);
    },

    async runTool(input: RunToolActivityInput): Promise<ToolOutcome> {
      const identity = { userId: input.userId, role: input.role };
      const outcome = await runTool(
        mc,
        identity,
        { name: input.name, argumentsJson: input.argumentsJson, idempotencyKey: input.idempotencyKey },
        { signal: signal() },
      );
      recordToolCall(input.name, outcome);
      return outcome;
    },

    /** The reply as one agent message; with a plan title, also the plan document. Both keyed, so retries write once. */
    async postReply(input: PostReplyInput): Promise<{ messageId: string; documentId?: string }> {
      const identity = { userId: input.userId, role: input.role };
      const opts = { signal: signal() };
      const message = await mc.postMessage(
        identity,
        { task_id: input.taskId, content: input.content, actor_type: 'agent', agent_role: input.role },
        input.idempotencyKey,
        opts,
      );
      if (!input.planTitle) return { messageId: String(message.id) };
      const doc = await mc.createDocument(
        identity,
        { task_id: input.taskId, title: input.planTitle, content: input.content, doc_type: 'plan' },
        `${input.idempotencyKey}/plan`,
        opts,
      );
      return { messageId: String(message.id), documentId: String(doc.id) };
    },

    sendWebhook: webhook.sendWebhook,
    ...createScheduleActivities({ config, missionControl: mc, workspace }),
    ...createJsonTaskActivities(),
  };
}

export type Activities = ReturnType<typeof createActivities>;

/** Advisory, as in the original: tokens ≈ chars/4 against the default model's context window. */
function contextWarning(chars: number, config: Config): string | undefined {
  const tokens = Math.ceil(chars / 4);
  const window = contextWindowOf(config.llm.model);
  const pct = (tokens / window) * 100;
  if (pct <= config.agent.contextWarningThreshold) return undefined;
  return `The prompt uses about ${pct.toFixed(1)}% of ${config.llm.model}'s ${window}-token context window; compact the conversation (POST /compact) to keep room for the answer.`;
}
