/**
 * The endpoints an agent calls with `X-Agent-Token`: tasks, messages, documents, heartbeat,
 * standup and tools, plus the unauthenticated capabilities probe. Every read and write goes
 * through the token's user id.
 */
import { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { agentOf, type AuthHook } from './auth';
import { HttpError, parseBody, parseOrThrow } from './errors';
import { type IdempotencyStore } from './idempotency';
import { decodeCursor, encodeCursor } from './pagination';
import {
  createDocumentBody,
  createMessageBody,
  createTaskBody,
  heartbeatBody,
  listTasksQuery,
  standupBody,
  toolCallBody,
  toolParams,
} from './schemas';
import { type Document, type Message, type Store, type Task } from './store';
import { executeTool, listTools } from './tools';

export interface AgentRouteDeps {
  store: Store;
  idempotency: IdempotencyStore;
  agentAuth: AuthHook;
}

export const CAPABILITIES = {
  contract_version: 'v1',
  features: {
    tasks: true,
    messages: true,
    documents: true,
    notifications_dispatch: true,
    heartbeat: true,
    standup: true,
    tools: true,
  },
} as const;

// Agent-facing views leave out user_id: the caller already is that user.
const taskView = ({ user_id: _u, ...task }: Task) => task;
const messageView = ({ user_id: _u, ...message }: Message) => message;
const documentView = ({ user_id: _u, content: _c, ...doc }: Document) => doc;

function taskNotFound(taskId: string): HttpError {
  return new HttpError(
    404,
    `Task "${taskId}" does not exist for this user; create it with POST /api/mission-control/tasks or list yours with GET /api/mission-control/tasks`,
    'task_not_found',
  );
}

/** Marks replays so a client (or a human with curl) can tell a retry hit the stored response. */
function sendIdempotent<T>(reply: FastifyReply, result: { response: T; replayed: boolean }): T {
  if (result.replayed) reply.header('idempotent-replayed', 'true');
  return result.response;
}

function requireSameUser(request: FastifyRequest, bodyUserId: string): void {
  const agent = agentOf(request);
  if (bodyUserId !== agent.userId) {
    throw new HttpError(
      403,
      `user_id "${bodyUserId}" does not match the X-Agent-Token's user_id "${agent.userId}"; an agent may only act for its own user`,
      'user_mismatch',
    );
  }
}

export function registerAgentRoutes(app: FastifyInstance, deps: AgentRouteDeps): void {
  const { store, idempotency, agentAuth } = deps;
  const auth = { onRequest: agentAuth };

  // No auth, so a runtime can probe compatibility before it has minted any token; a token that
  // is sent anyway is ignored rather than judged.
  app.get('/api/mission-control/capabilities', async () => CAPABILITIES);

  app.get('/api/mission-control/tasks', auth, async (request) => {
    const query = parseOrThrow(listTasksQuery, request.query, 'query');
    const offset = decodeCursor(query.cursor);
    const page = store.listTasks(agentOf(request).userId, offset, query.limit);
    return {
      items: page.items.map(taskView),
      next_cursor: page.nextOffset === null ? null : encodeCursor(page.nextOffset),
    };
  });

  app.post('/api/mission-control/tasks', auth, async (request, reply) => {
    const body = parseBody(createTaskBody, request.body);
    const { userId } = agentOf(request);
    const result = idempotency.run(userId, 'POST /tasks', body.idempotency_key, request.body, () =>
      taskView(
        store.createTask(userId, {
          title: body.title,
          status: body.status,
          description: body.description,
          metadata: body.metadata,
        }),
      ),
    );
    return sendIdempotent(reply, result);
  });

  app.post('/api/mission-control/messages', auth, async (request, reply) => {
    const body = parseBody(createMessageBody, request.body);
    const agent = agentOf(request);
    const result = idempotency.run(agent.userId, 'POST /messages', body.idempotency_key, request.body, () => {
      if (!store.findTask(agent.userId, body.task_id)) throw taskNotFound(body.task_id);
      // An agent that posts without naming its role is taken to speak as the token's role.
      const agentRole = body.agent_role ?? (body.actor_type === 'agent' ? agent.role : null);
      return messageView(
        store.createMessage(agent.userId, {
          task_id: body.task_id,
          content: body.content,
          actor_type: body.actor_type,
          agent_role: agentRole,
          attachments: body.attachments ?? null,
        }),
      );
    });
    return sendIdempotent(reply, result);
  });

  app.post('/api/mission-control/documents', auth, async (request, reply) => {
    const body = parseBody(createDocumentBody, request.body);
    const { userId } = agentOf(request);
    const result = idempotency.run(userId, 'POST /documents', body.idempotency_key, request.body, () => {
      if (!store.findTask(userId, body.task_id)) throw taskNotFound(body.task_id);
      return documentView(
        store.createDocument(userId, {
          task_id: body.task_id,
          title: body.title,
          content: body.content,
          doc_type: body.doc_type,
        }),
      );
    });
    return sendIdempotent(reply, result);
  });

  app.post('/api/mission-control/heartbeat', auth, async (request) => {
    const body = parseBody(heartbeatBody, request.body);
    requireSameUser(request, body.user_id);
    const call = store.recordCall({
      kind: 'heartbeat',
      user_id: body.user_id,
      agent_role: agentOf(request).role,
    });
    return {
      status: 'ok',
      user_id: call.user_id,
      agent_role: call.agent_role,
      received_at: call.received_at,
    };
  });

  app.post('/api/mission-control/standup', auth, async (request) => {
    const body = parseBody(standupBody, request.body);
    requireSameUser(request, body.user_id);
    const call = store.recordCall({
      kind: 'standup',
      user_id: body.user_id,
      agent_role: agentOf(request).role,
      timezone: body.timezone,
    });
    return {
      status: 'ok',
      user_id: call.user_id,
      agent_role: call.agent_role,
      timezone: call.timezone,
      received_at: call.received_at,
    };
  });

  app.get('/api/tools', auth, async () => ({ tools: listTools() }));

  // The contract has no idempotency field for tools, so the key comes as the Idempotency-Key header.
  app.post('/api/tools/:name', auth, async (request, reply) => {
    const { name } = parseOrThrow(toolParams, request.params, 'path');
    const body = parseOrThrow(toolCallBody, request.body ?? {}, 'request body');
    const { userId } = agentOf(request);
    const header = request.headers['idempotency-key'];
    const key = typeof header === 'string' && header !== '' ? header : undefined;
    const result = idempotency.run(userId, `POST /tools/${name}`, key, body, () =>
      executeTool(name, body.arguments, { userId, store }),
    );
    return sendIdempotent(reply, result);
  });
}
