// Every workflow the worker hosts. Deterministic code only (see the eslint rules for this folder).
import type * as shared from '../shared/workflow-types';
import { agentTurn } from './agent-turn';
import { budget } from './budget';
import { compactConversation } from './compact';
import { dispatcher } from './dispatcher';
import { heartbeat } from './heartbeat';
import { llmTask } from './llm-task';
import { notificationTurn } from './notification-turn';
import { session } from './session';
import { standup } from './standup';
import { webhookDelivery } from './webhook-delivery';

export {
  agentTurn,
  dispatcher,
  notificationTurn,
  heartbeat,
  standup,
  compactConversation,
  llmTask,
  webhookDelivery,
  session,
  budget,
};

// Callers start these by name with the signatures in src/shared/workflow-types.ts; a workflow whose
// signature drifts from its declaration fails the typecheck here instead of at run time.
type Matches<W, S> = W extends S ? (S extends W ? true : false) : false;
type Assert<T extends true> = T;
export type SignaturesMatch = [
  Assert<Matches<typeof agentTurn, shared.AgentTurnWorkflow>>,
  Assert<Matches<typeof dispatcher, shared.DispatcherWorkflow>>,
  Assert<Matches<typeof notificationTurn, shared.NotificationTurnWorkflow>>,
  Assert<Matches<typeof heartbeat, shared.HeartbeatWorkflow>>,
  Assert<Matches<typeof standup, shared.StandupWorkflow>>,
  Assert<Matches<typeof compactConversation, shared.CompactWorkflow>>,
  Assert<Matches<typeof llmTask, shared.LlmTaskWorkflow>>,
  Assert<Matches<typeof webhookDelivery, shared.WebhookDeliveryWorkflow>>,
  Assert<Matches<typeof session, shared.SessionWorkflow>>,
  Assert<Matches<typeof budget, shared.BudgetWorkflow>>,
];
