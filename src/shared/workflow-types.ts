/**
 * The workflows by name and signature, so the API, CLI and scripts start and await them without
 * importing workflow code (which only the worker bundles). `src/workflows/index.ts` checks at
 * compile time that each workflow still has the signature named here.
 */
import type { BudgetInput } from './budget';
import type { CompactInput, CompactResult } from './compact';
import type {
  DispatcherInput,
  DispatchResult,
  NotificationTurnInput,
  NotificationTurnResult,
} from './dispatch';
import type { HeartbeatInput, HeartbeatResult } from './heartbeat';
import type { LlmTaskInput, LlmTaskResult } from './llm-task';
import type { SessionInput, SessionResult } from './session';
import type { StandupInput, StandupResult } from './standup';
import type { AgentTurnInput, AgentTurnResult } from './turn';
import type { WebhookDeliveryInput, WebhookDeliveryResult } from './webhook';

export type AgentTurnWorkflow = (input: AgentTurnInput) => Promise<AgentTurnResult>;
export type DispatcherWorkflow = (input?: DispatcherInput) => Promise<DispatchResult>;
export type NotificationTurnWorkflow = (input: NotificationTurnInput) => Promise<NotificationTurnResult>;
export type HeartbeatWorkflow = (input: HeartbeatInput) => Promise<HeartbeatResult>;
export type StandupWorkflow = (input: StandupInput) => Promise<StandupResult>;
export type CompactWorkflow = (input: CompactInput) => Promise<CompactResult>;
export type LlmTaskWorkflow = (input: LlmTaskInput) => Promise<LlmTaskResult>;
export type BudgetWorkflow = (input: BudgetInput) => Promise<void>;
export type SessionWorkflow = (input: SessionInput) => Promise<SessionResult>;
export type WebhookDeliveryWorkflow = (input: WebhookDeliveryInput) => Promise<WebhookDeliveryResult>;

/** Workflow type names as registered by the worker (the exported function names). */
export const WorkflowType = {
  agentTurn: 'agentTurn',
  dispatcher: 'dispatcher',
  notificationTurn: 'notificationTurn',
  heartbeat: 'heartbeat',
  standup: 'standup',
  compactConversation: 'compactConversation',
  llmTask: 'llmTask',
  webhookDelivery: 'webhookDelivery',
  session: 'session',
  budget: 'budget',
} as const;
