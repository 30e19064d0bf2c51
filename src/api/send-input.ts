/**
 * A validated send body → the AgentTurn input, or the 400 message for what zod cannot check alone
 * (user_id against session_key, a task to reply on, the webhook URL policy and sealing). Shared by
 * POST /api/agents/send and POST /api/agents/stream, so both start exactly the same turn.
 */
import { sealWebhookSecrets } from '../clients/webhook/sealed';
import { checkWebhookUrlSyntax } from '../clients/webhook/url-policy';
import type { Config } from '../config';
import { parseSessionKey } from '../shared/ids';
import type { AgentTurnInput } from '../shared/turn';
import type { WorkflowHandle } from '@temporalio/client';
import type { AgentTurnWorkflow } from '../shared/workflow-types';
import type { TurnMetrics } from './metrics';
import type { Admission } from './rate-limit';
import type { SendBody } from './schemas/agents';
import type { TurnService } from './turns';

/**
 * POST send and POST stream alike: the body's turn started and counted; or the 400 message, or
 * the 429 one (with `retryAfterSec`) when `admit` — asked only once the body is valid — refuses.
 */
export async function startSendTurn(
  body: SendBody,
  idempotencyKey: string | undefined,
  deps: { config: Config; turns: TurnService; metrics?: TurnMetrics; admit: () => Promise<Admission> },
  opts: { stream?: boolean } = {},
): Promise<{ handle: WorkflowHandle<AgentTurnWorkflow> } | { error: string; retryAfterSec?: number }> {
  const built = turnInputFromSend(body, deps.config);
  if ('error' in built) return built;
  const admission = await deps.admit();
  if (!admission.ok) return { error: admission.error, retryAfterSec: admission.retryAfterSec };
  const input = opts.stream ? { ...built.input, stream: true } : built.input;
  const handle = await deps.turns.start(input, idempotencyKey);
  deps.metrics?.started();
  return { handle };
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
