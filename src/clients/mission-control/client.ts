/**
 * The one Mission Control client (docs/contract.md): every path, header, timeout and idempotency key
 * lives here; tools and activities are thin wrappers over it. Agent calls mint a fresh JWT per
 * call (never stored, never returned); dispatch calls use the internal token. Every method takes
 * an optional AbortSignal so an activity can pass its cancellation through to `fetch`.
 */
import type { Config } from '../../config';
import type { ToolSpec } from '../../shared/types';
import { ApplicationFailure } from '@temporalio/common';
import { type z } from 'zod';
import { toToolSpecs } from './backend-tools';
import { agentCredential, internalCredential, NO_CREDENTIAL } from './credentials';
import { MissionControlError } from './errors';
import { fitIdempotencyKey } from './idempotency-key';
import { MISSION_CONTROL_TIMEOUT_MS, sendRequest, type HttpRequest, type Query } from './http';
import { walkCursor } from './paging';
import {
  anyJson,
  backendToolListSchema,
  capabilitiesSchema,
  documentSchema,
  messageSchema,
  taskPageSchema,
  taskSchema,
  undeliveredRawSchema,
  type BackendId,
  type BackendTool,
  type Capabilities,
  type Message,
  type MissionControlDocument,
  type Task,
  type TaskPage,
} from './schemas';
import type {
  AgentIdentity,
  CallOptions,
  ClientOptions,
  HealthReport,
  NewDocument,
  NewMessage,
  NewTask,
  PagingOptions,
} from './types';

const MC = '/api/mission-control';
/** The contract's largest page: fewest round trips when walking every task. */
export const TASK_PAGE_SIZE = 100;
/** 100 pages × 100 tasks: far beyond a real user's tasks, small enough to stop a cursor loop. */
export const MAX_TASK_PAGES = 100;
/** health() calls as a fixed, data-less identity: the contract only defines agent calls. */
const HEALTH_IDENTITY: AgentIdentity = { userId: 'clasper-health', role: 'health' };

type Auth = { kind: 'agent'; identity: AgentIdentity } | { kind: 'internal' } | { kind: 'none' };

export class MissionControlClient {
  private readonly timeoutMs: number;
  private readonly pageSize: number;
  private readonly maxPages: number;

  constructor(
    private readonly backend: Config['backend'],
    options: ClientOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? MISSION_CONTROL_TIMEOUT_MS;
    this.pageSize = options.pageSize ?? TASK_PAGE_SIZE;
    this.maxPages = options.maxPages ?? MAX_TASK_PAGES;
  }

  capabilities(id: AgentIdentity, opts: CallOptions = {}): Promise<Capabilities> {
    return this.call({ kind: 'agent', identity: id }, 'GET', `${MC}/capabilities`, capabilitiesSchema, opts);
  }

  /**
   * The same probe without a token, for a runtime that has no AGENT_JWT_SECRET to sign one
   * (`clasper doctor`): a backend may serve capabilities open, or answer 401.
   */
  anonymousCapabilities(opts: CallOptions = {}): Promise<Capabilities> {
    return this.call({ kind: 'none' }, 'GET', `${MC}/capabilities`, capabilitiesSchema, opts);
  }

  /**
   * Is the backend reachable and speaking contract v1? Never throws, for `/health?deep=true`.
   * Capabilities may be served without checking the token, so this does not prove the JWT settings.
   */
  async health(opts: CallOptions = {}): Promise<HealthReport> {
    const started = Date.now();
    try {
      const caps = await this.capabilities(HEALTH_IDENTITY, opts);
      return { ok: true, latencyMs: Date.now() - started, contractVersion: caps.contract_version };
    } catch (err) {
      return {
        ok: false,
        latencyMs: Date.now() - started,
        error: err instanceof Error ? err.message : String(err),
      };
    }
  }

  listTasks(
    id: AgentIdentity,
    page: { limit?: number; cursor?: string } = {},
    opts: CallOptions = {},
  ): Promise<TaskPage> {
    const query = { limit: page.limit, cursor: page.cursor };
    return this.call({ kind: 'agent', identity: id }, 'GET', `${MC}/tasks`, taskPageSchema, opts, { query });
  }

  /** Every task of the user, following `next_cursor`; `onPage` lets a long walk heartbeat. */
  async listAllTasks(id: AgentIdentity, opts: PagingOptions = {}): Promise<Task[]> {
    const all: Task[] = [];
    await this.walkTasks(id, opts, (items) => {
      all.push(...items);
      return false;
    });
    return all;
  }

  /** The first task whose title equals `title` exactly, searching every page; null when none does. */
  findTaskByTitle(id: AgentIdentity, title: string, opts: PagingOptions = {}): Promise<Task | null> {
    return this.findTask(id, (t) => t.title === title, opts);
  }

  /**
   * The task with this id (compared as strings: ids may be numbers), searching every page; null
   * when the user has none. The contract has no single-task read, so this walks the list.
   */
  findTaskById(id: AgentIdentity, taskId: string, opts: PagingOptions = {}): Promise<Task | null> {
    return this.findTask(id, (t) => String(t.id) === taskId, opts);
  }

  createTask(
    id: AgentIdentity,
    task: NewTask,
    idempotencyKey: string,
    opts: CallOptions = {},
  ): Promise<Task> {
    return this.create(id, `${MC}/tasks`, task, idempotencyKey, taskSchema, opts);
  }

  postMessage(
    id: AgentIdentity,
    message: NewMessage,
    idempotencyKey: string,
    opts: CallOptions = {},
  ): Promise<Message> {
    return this.create(id, `${MC}/messages`, message, idempotencyKey, messageSchema, opts);
  }

  createDocument(
    id: AgentIdentity,
    doc: NewDocument,
    idempotencyKey: string,
    opts: CallOptions = {},
  ): Promise<MissionControlDocument> {
    return this.create(id, `${MC}/documents`, doc, idempotencyKey, documentSchema, opts);
  }

  /**
   * The undelivered notifications, each delivery unchecked: the dispatcher checks them one by one
   * (activities/deliveries.ts), so a single malformed entry is skipped and reported instead of
   * failing the whole answer.
   */
  async undeliveredRaw(
    limits: { limitUsers: number; limitNotifications: number },
    opts: CallOptions = {},
  ): Promise<unknown[]> {
    const query = { limit_users: limits.limitUsers, limit_notifications: limits.limitNotifications };
    const body = await this.call(
      { kind: 'internal' },
      'GET',
      `${MC}/dispatch/undelivered`,
      undeliveredRawSchema,
      opts,
      { query },
    );
    return body.deliveries;
  }

  async ackNotification(notificationId: BackendId, userId: string, opts: CallOptions = {}): Promise<void> {
    const path = `${MC}/dispatch/notifications/${encodeURIComponent(String(notificationId))}/deliver`;
    await this.call({ kind: 'internal' }, 'POST', path, anyJson, opts, {
      query: { user_id: userId },
      route: `${MC}/dispatch/notifications/{id}/deliver`,
    });
  }

  heartbeat(id: AgentIdentity, opts: CallOptions = {}): Promise<unknown> {
    return this.call({ kind: 'agent', identity: id }, 'POST', `${MC}/heartbeat`, anyJson, opts, {
      body: { user_id: id.userId },
    });
  }

  standup(id: AgentIdentity, timezone: string, opts: CallOptions = {}): Promise<unknown> {
    const body = { user_id: id.userId, timezone };
    return this.call({ kind: 'agent', identity: id }, 'POST', `${MC}/standup`, anyJson, opts, { body });
  }

  /** The backend's own tools as model-ready specs; entries with unusable names are skipped. */
  async listBackendTools(id: AgentIdentity, opts: CallOptions = {}): Promise<ToolSpec[]> {
    return toToolSpecs(await this.listBackendToolEntries(id, opts));
  }

  /** `GET /api/tools` as the backend listed them, flags (`requires_approval`) included. */
  listBackendToolEntries(id: AgentIdentity, opts: CallOptions = {}): Promise<BackendTool[]> {
    return this.call({ kind: 'agent', identity: id }, 'GET', '/api/tools', backendToolListSchema, opts);
  }

  /**
   * Runs a backend tool. The contract has no idempotency field for tools, so the key travels as
   * the conventional `Idempotency-Key` header for backends that honour it.
   */
  runBackendTool(
    id: AgentIdentity,
    name: string,
    args: Record<string, unknown>,
    opts: CallOptions & { idempotencyKey?: string } = {},
  ): Promise<unknown> {
    const extraHeaders: Record<string, string> = opts.idempotencyKey
      ? { 'idempotency-key': opts.idempotencyKey }
      : {};
    const path = `/api/tools/${encodeURIComponent(name)}`;
    return this.call({ kind: 'agent', identity: id }, 'POST', path, anyJson, opts, {
      body: { arguments: args },
      extraHeaders,
    });
  }

  private async findTask(
    id: AgentIdentity,
    matches: (task: Task) => boolean,
    opts: PagingOptions,
  ): Promise<Task | null> {
    let found: Task | null = null;
    await this.walkTasks(id, opts, (items) => {
      found = items.find(matches) ?? null;
      return found !== null;
    });
    return found;
  }

  private walkTasks(
    id: AgentIdentity,
    opts: PagingOptions,
    visit: (items: Task[]) => boolean,
  ): Promise<void> {
    return walkCursor({
      what: `GET ${MC}/tasks`,
      maxPages: this.maxPages,
      fetchPage: (cursor) => this.listTasks(id, { limit: this.pageSize, cursor }, opts),
      visit,
      onPage: opts.onPage,
    });
  }

  private async create<S extends z.ZodType>(
    id: AgentIdentity,
    path: string,
    body: object,
    idempotencyKey: string,
    schema: S,
    opts: CallOptions,
  ): Promise<z.output<S>> {
    if (typeof idempotencyKey !== 'string' || idempotencyKey.trim() === '') {
      // A write without a key could be duplicated by a retry; refuse rather than risk it.
      throw ApplicationFailure.create({
        message: `POST ${path} needs a non-empty idempotency key (derive it from the workflow id and step)`,
        type: MissionControlError.InvalidCall,
        nonRetryable: true,
      });
    }
    return this.call({ kind: 'agent', identity: id }, 'POST', path, schema, opts, {
      body: { ...body, idempotency_key: fitIdempotencyKey(idempotencyKey) },
    });
  }

  private async call<S extends z.ZodType>(
    auth: Auth,
    method: HttpRequest<S>['method'],
    path: string,
    schema: S,
    opts: CallOptions,
    extra: { query?: Query; body?: unknown; extraHeaders?: Record<string, string>; route?: string } = {},
  ): Promise<z.output<S>> {
    const credential =
      auth.kind === 'agent'
        ? await agentCredential(this.backend, auth.identity)
        : auth.kind === 'internal'
          ? internalCredential(this.backend)
          : NO_CREDENTIAL;
    return sendRequest(
      { baseUrl: this.backend.url, timeoutMs: this.timeoutMs },
      { method, path, schema, signal: opts.signal, ...extra, auth: credential },
    );
  }
}
