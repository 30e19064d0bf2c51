// Every workflow the worker hosts. Deterministic code only (see eslint rules for this folder).
export { agentTurn } from './agent-turn';
