/**
 * A validated send body → the AgentTurn input, or the 400 message for what zod cannot check alone
 * (user_id against session_key, a task to reply on, the webhook URL policy and sealing). Shared by
 * POST /api/agents/send and POST /api/agents/stream, so both start exactly the same turn.
 */
import { sealWebhookSecrets } from '../clients/webhook/sealed';
import { checkWebhookUrlSyntax } from '../clients/webhook/url-policy';
import type { Config } from '../config';
import { secondsUntilNextBudgetDay } from '../shared/budget';
import { parseSessionKey } from '../shared/ids';
import type { AgentTurnInput } from '../shared/turn';
import type { WorkflowHandle } from '@temporalio/client';
import type { AgentTurnWorkflow } from '../shared/workflow-types';
import type { TurnMetrics } from './metrics';
import type { Admission } from './rate-limit';
import type { SendBody } from './schemas/agents';
import type { BudgetService } from './budgets';
import type { SessionService } from './sessions';
import type { TurnService } from './turns';

/** What became of a send: its turn (started, queued, or the running turn it steered into), or a refusal. */
export type SendStart =
  | {
      handle: WorkflowHandle<AgentTurnWorkflow>;
      /** True while the turn waits in its session for the turns ahead of it. */
      queued: boolean;
      /** The message went into this running turn (`steer`) instead of a turn of its own. */
      steered?: { step: number };
    }
  | SendRefusal;

export interface SendRefusal {
  error: string;
  /** 400 unless said: 409 (`reject`, with the running turn), 429 (with `retryAfterSec`), 503 (no worker). */
  status?: 409 | 429 | 503;
  retryAfterSec?: number;
  running_turn_id?: string;
}

/** What starting a send's turn needs: the same for POST send and POST stream. */
export interface SendTurnDeps {
  config: Config;
  turns: TurnService;
  sessions: SessionService;
  budgets: BudgetService;
  metrics?: TurnMetrics;
  admit: () => Promise<Admission>;
}

/**
 * POST send and POST stream alike: the body's turn submitted to its session (or, with sessions
 * off, started directly) and counted; or the 400 message, the 409 of `reject`, or the 429 (with
 * `retryAfterSec`) when `admit` — asked only once the body is valid — refuses.
 */
export async function startSendTurn(
  body: SendBody,
  idempotencyKey: string | undefined,
  deps: SendTurnDeps,
  opts: { stream?: boolean } = {},
): Promise<SendStart> {
  const built = turnInputFromSend(body, deps.config);
  if ('error' in built) return built;
  const admission = await deps.admit();
  if (!admission.ok) return { error: admission.error, status: 429, retryAfterSec: admission.retryAfterSec };
  const input = opts.stream ? { ...built.input, stream: true } : built.input;
  // Over budget: no turn starts (a turn that reaches the limit later stops before its next model call).
  const budget = await deps.budgets.status(input.userId);
  if (budget.exhausted) return budgetRefusal(budget.exhausted);
  if (!deps.config.sessions.enabled) {
    const handle = await deps.turns.start(input, idempotencyKey);
    deps.metrics?.started();
    return { handle, queued: false };
  }
  const turnId = deps.turns.turnIdFor(input.userId, idempotencyKey);
  // A repeated key answers with the turn it started, whatever runs in the session now.
  if (idempotencyKey && (await deps.turns.exists(turnId)))
    return { handle: deps.turns.handle(turnId), queued: false };
  const strategy = body.multitask_strategy ?? deps.config.sessions.defaultStrategy;
  const submitted = await deps.sessions.submit(input, turnId, strategy);
  if (submitted.kind === 'refused')
    return {
      error: submitted.error,
      status: submitted.status,
      ...(submitted.retryAfterSec !== undefined ? { retryAfterSec: submitted.retryAfterSec } : {}),
      ...(submitted.runningTurnId ? { running_turn_id: submitted.runningTurnId } : {}),
    };
  if (submitted.kind === 'steered')
    return { handle: submitted.handle, queued: false, steered: { step: submitted.step } };
  deps.metrics?.started();
  return { handle: submitted.handle, queued: !submitted.started };
}

/** The 429 of a send over its user's budget: retry when the next budget day begins. */
export function budgetRefusal(reason: string, now = new Date()): SendRefusal {
  return { error: reason, status: 429, retryAfterSec: secondsUntilNextBudgetDay(now) };
}

export function turnInputFromSend(
  body: SendBody,
  config: Config,
): { input: AgentTurnInput } | { error: string } {
  const session = parseSessionKey(body.session_key);
  if (!session || session.userId !== body.user_id) return { error: 'user_id does not match session_key' };
  if (!body.task_id && !body.task_title && !config.agent.defaultTask) {
    return {
      error: 'no task to reply on: pass task_id or task_title, or set CLASPER_DEFAULT_TASK on the runtime',
    };
  }
  const webhook = prepareWebhook(body, config);
  if ('error' in webhook) return { error: webhook.error };
  return {
    input: {
      userId: body.user_id,
      sessionKey: body.session_key,
      role: session.role,
      message: body.message,
      history: body.messages,
      taskId: body.task_id,
      taskTitle: body.task_title,
      taskDescription: body.task_description,
      taskMetadata: body.task_metadata,
      metadata: body.metadata,
      webhook: webhook.value,
      trigger: 'api',
      maxToolIterations: config.agent.maxToolIterations,
      limits: config.agent.turnLimits,
    },
  };
}

function prepareWebhook(
  body: SendBody,
  config: Config,
): { value?: AgentTurnInput['webhook'] } | { error: string } {
  if (!body.webhook) return { value: undefined };
  const check = checkWebhookUrlSyntax(body.webhook.url, { allowPrivate: config.agent.webhookAllowPrivate });
  if (!check.ok) return { error: `webhook.url is not allowed: ${check.reason}` };
  const { url, secret, headers } = body.webhook;
  if (!config.backend.jwtSecret) {
    if (secret || headers)
      return {
        error: 'webhook secret and headers need AGENT_JWT_SECRET configured on the runtime to be sealed',
      };
    // Nothing to seal with: the URL stays in clear (the worker needs AGENT_JWT_SECRET to open it).
    return { value: { url } };
  }
  // History keeps the origin for the UI; the path and query (often a token) travel sealed.
  return {
    value: {
      url: new URL(url).origin,
      sealed: sealWebhookSecrets(config.backend.jwtSecret, { url, secret, headers }),
    },
  };
}

/** Where a caller follows a turn that outlives its request. */
export function statusUrlOf(turnId: string): string {
  return `/api/agents/turns/${encodeURIComponent(turnId)}`;
}
