/**
 * GET /context, GET /skills, GET /boot, POST /boot/complete and GET /usage (README.md, "Other
 * endpoints"). All sit behind the daemon key (auth.ts covers every route but /health), unlike the
 * original, whose read endpoints leaked paths and usage to anyone.
 *
 * /context, /skills and /boot read the API process's own copy of the workspace (CLASPER_WORKSPACE):
 * deploy the same folder to the API and the workers. Skill gating (`requires.env`, `requires.bins`)
 * is evaluated against the API process's environment, which may differ from a worker's.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyReply } from 'fastify';
import type { BudgetService } from '../budgets';
import type { Client } from '@temporalio/client';
import { InvalidRoleError, WorkspaceError, type Workspace } from '../../clients/workspace';
import type { UsageTotals } from '../../shared/usage';
import {
  BootCompletedSchema,
  BootStatusSchema,
  ContextQuerySchema,
  ContextReportSchema,
  introspectionErrors,
  SkillsSchema,
  UsageQuerySchema,
  UsageReportSchema,
} from '../schemas/introspection';
import { errorResponses } from '../schemas/common';
import { DEFAULT_USAGE_WINDOW_MS, parseSince, queryUsage } from '../usage';
import { contextTokens } from '../context-tokens';
import type { LlmConfig } from '../../clients/model/openai-client';

export interface IntrospectionRoutesOptions {
  workspace: Workspace;
  client: Client;
  /** GET /usage?user_id= also shows the user's budget for today. */
  budgets: BudgetService;
  /** The model settings: /context counts tokens for the default model against its window. */
  llm: LlmConfig;
}

export const introspectionRoutes: FastifyPluginAsyncZod<IntrospectionRoutesOptions> = async (
  app,
  { workspace, client, budgets, llm },
) => {
  app.get(
    '/context',
    {
      schema: {
        tags: ['workspace'],
        summary:
          'Prompt size per workspace file (after the per-file cut), of the whole system prompt and of the tool schemas, in tokens for the model',
        querystring: ContextQuerySchema,
        response: { 200: ContextReportSchema, ...introspectionErrors },
      },
    },
    async (request, reply) => {
      try {
        const { role } = request.query;
        const report = await workspace.contextReport(role);
        const tokens = contextTokens(llm, (await workspace.buildSystemPrompt({ role })).systemPrompt);
        return { ...report, estimatedSystemPromptTokens: tokens.systemPromptTokens, tokens };
      } catch (err) {
        return workspaceFailure(reply, err);
      }
    },
  );

  app.get(
    '/skills',
    {
      schema: {
        tags: ['workspace'],
        summary: 'Workspace skills: which are enabled, and why the others are not',
        response: { 200: SkillsSchema, ...introspectionErrors },
      },
    },
    async (_request, reply) => {
      try {
        const skills = await workspace.listSkills();
        return { enabled: skills.filter((s) => s.enabled).length, total: skills.length, skills };
      } catch (err) {
        return workspaceFailure(reply, err);
      }
    },
  );

  app.get(
    '/boot',
    {
      schema: {
        tags: ['workspace'],
        summary: 'BOOT.md and whether boot was marked complete',
        response: { 200: BootStatusSchema, ...introspectionErrors },
      },
    },
    async (_request, reply) => {
      try {
        return await workspace.bootStatus();
      } catch (err) {
        return workspaceFailure(reply, err);
      }
    },
  );

  app.post(
    '/boot/complete',
    {
      schema: {
        tags: ['workspace'],
        summary: 'Mark boot complete (writes <workspace>/.boot-complete with the time)',
        response: { 200: BootCompletedSchema, ...introspectionErrors },
      },
    },
    async (_request, reply) => {
      try {
        const { completedAt } = await workspace.completeBoot();
        return { status: 'ok' as const, completedAt };
      } catch (err) {
        return workspaceFailure(reply, err);
      }
    },
  );

  app.get(
    '/usage',
    {
      schema: {
        tags: ['operations'],
        summary: 'Tokens and cost of finished turns per user over a window, from Temporal visibility',
        description:
          'Sums the usage each completed or failed AgentTurn records on itself (search attributes). Visibility is ' +
          'eventually consistent: a turn that just finished may be counted a moment later. Cancelled turns are not counted.',
        querystring: UsageQuerySchema,
        response: { 200: UsageReportSchema, ...errorResponses },
      },
    },
    async (request) => {
      const now = new Date();
      const { user_id: userId, since: sinceText } = request.query;
      const since =
        (sinceText && parseSince(sinceText, now)) || new Date(now.getTime() - DEFAULT_USAGE_WINDOW_MS);
      const [usage, budget] = await Promise.all([
        queryUsage(client, { userId, since }, now),
        userId ? budgets.status(userId, now) : undefined,
      ]);
      const total = usage.total;
      return {
        since: usage.since.toISOString(),
        until: usage.until.toISOString(),
        ...(userId ? { user_id: userId } : {}),
        requestCount: total.turns,
        failedCount: total.failedTurns,
        totalInputTokens: total.promptTokens,
        totalOutputTokens: total.completionTokens,
        totalTokens: total.totalTokens,
        totalCost: costOf(total),
        currency: 'USD' as const,
        users: [...usage.users].map(([id, t]) => userUsage(id, t)),
        truncated: usage.truncated,
        consistency: 'eventual' as const,
        ...(budget ? { budget } : {}),
      };
    },
  );
};

function userUsage(userId: string, t: UsageTotals) {
  return {
    user_id: userId,
    turns: t.turns,
    failed_turns: t.failedTurns,
    prompt_tokens: t.promptTokens,
    completion_tokens: t.completionTokens,
    total_tokens: t.totalTokens,
    cost: costOf(t),
    turns_without_cost: t.turnsWithoutCost,
    turns_without_usage: t.turnsWithoutUsage,
  };
}

/** USD over the turns whose cost is known; null (unknown, never a misleading 0) when none of them is. */
function costOf(t: UsageTotals): number | null {
  if (t.turns > 0 && t.turnsWithoutCost === t.turns) return null;
  return t.costMicros / 1_000_000;
}

/** A bad role is the caller's 400; a missing or unreadable workspace is the operator's 503. */
function workspaceFailure(reply: FastifyReply, err: unknown) {
  if (err instanceof InvalidRoleError) return reply.code(400).send({ error: err.message });
  if (err instanceof WorkspaceError) return reply.code(503).send({ error: err.message });
  throw err;
}
