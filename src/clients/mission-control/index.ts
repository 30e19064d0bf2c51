/** Mission Control: the client, its failure classes, agent tokens and the model tools built on it. */
export { MissionControlClient, MAX_TASK_PAGES, TASK_PAGE_SIZE } from './client';
export { MAX_IDEMPOTENCY_KEY_CHARS, fitIdempotencyKey } from './idempotency-key';
export type {
  AgentIdentity,
  CallOptions,
  ClientOptions,
  HealthReport,
  NewDocument,
  NewMessage,
  NewTask,
  PagingOptions,
} from './types';
export { MISSION_CONTROL_TIMEOUT_MS } from './http';
export {
  MissionControlError,
  MAX_RETRY_AFTER_MS,
  classifyFetchFailure,
  classifyResponse,
  missionControlFailureDetails,
  parseRetryAfter,
} from './errors';
export type {
  AuthKind,
  MissionControlErrorType,
  MissionControlFailureDetails,
  ResponseFacts,
} from './errors';
export { mintAgentToken } from './jwt';
export type { MintAgentTokenInput } from './jwt';
export { builtinToolSpecs, listTools, listTurnTools, runTool, MAX_TOOL_RESULT_BYTES } from './tools';
export type { RunToolInput } from './tools';
export { isBuiltinTool, parseToolArgs } from './tool-schemas';
export type { BuiltinToolName } from './tool-schemas';
export type { BackendId, Capabilities, Message, MissionControlDocument, Task, TaskPage } from './schemas';
