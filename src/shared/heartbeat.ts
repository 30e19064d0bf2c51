/** The heartbeat workflow's input and result, shared with the scripts and the API. Workflow-safe. */
import type { TimeoutSettings } from './timeouts';

/** A heartbeat reply of exactly this text posts nothing. */
export const HEARTBEAT_OK = 'HEARTBEAT_OK';

export interface HeartbeatInput {
  userId: string;
  role: string;
  /** Config its child turn's deadline derives from; absent in runs started before it travelled. */
  timeouts?: TimeoutSettings;
}

export interface HeartbeatResult {
  user_id: string;
  role: string;
  backend_heartbeat: 'called' | 'unsupported';
  /** `skipped` when the workspace has no HEARTBEAT.md (or it is blank): there is nothing to check. */
  turn: 'completed' | 'skipped';
  turn_id?: string;
  task_id?: string;
  /** False when the agent answered HEARTBEAT_OK (nothing posted). */
  posted?: boolean;
  response?: string;
  tool_calls?: { name: string; ok: boolean }[];
}
