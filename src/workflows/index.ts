// Every workflow the worker hosts. Deterministic code only (see eslint rules for this folder).
export { agentTurn } from './agent-turn';
export { dispatcher } from './dispatcher';
export { notificationTurn } from './notification-turn';
export { heartbeat } from './heartbeat';
export { standup } from './standup';
export { compactConversation } from './compact';
export { llmTask } from './llm-task';
