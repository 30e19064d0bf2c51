/** Argument and option shapes of the Mission Control client (kept apart so tools can import them cheaply). */
import type { BackendId } from './schemas';

/** Who the agent acts as; becomes the JWT's `user_id` and `agent_role`. */
export interface AgentIdentity {
  userId: string;
  role: string;
}

/** Per call: the activity's cancellation signal, passed through to `fetch`. */
export interface CallOptions {
  signal?: AbortSignal;
}

/** For calls that walk every page: `onPage` lets a long walk heartbeat. */
export interface PagingOptions extends CallOptions {
  onPage?: (page: number) => void;
}

export interface ClientOptions {
  /** Per-call timeout; tests shorten it. */
  timeoutMs?: number;
  /** Page size `listAllTasks` / `findTaskByTitle` ask for. */
  pageSize?: number;
  /** Most pages they walk before giving up. */
  maxPages?: number;
}

export interface NewTask {
  title: string;
  description?: string;
  status?: string;
  metadata?: Record<string, unknown>;
}

export interface NewMessage {
  task_id: BackendId;
  content: string;
  actor_type?: string;
  agent_role?: string;
  attachments?: unknown[];
}

export interface NewDocument {
  task_id: BackendId;
  title: string;
  content: string;
  doc_type?: string;
}

export interface HealthReport {
  ok: boolean;
  latencyMs: number;
  contractVersion?: string;
  error?: string;
}
