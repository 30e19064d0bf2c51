/**
 * Endpoints behind `X-Internal-Token`: the notification dispatch the runtime's dispatcher polls,
 * an enqueue endpoint so tests and demos can create notifications, and `_inspect`, which shows
 * everything stored so a test can check a write happened even when its response was lost.
 */
import { type FastifyInstance } from 'fastify';
import { type AuthHook } from './auth';
import { HttpError, parseBody, parseOrThrow } from './errors';
import { type IdempotencyStore } from './idempotency';
import {
  deliverParams,
  deliverQuery,
  enqueueNotificationBody,
  enqueueQuery,
  inspectQuery,
  undeliveredQuery,
} from './schemas';
import { type Notification, type Store } from './store';

export interface InternalRouteDeps {
  store: Store;
  idempotency: IdempotencyStore;
  internalAuth: AuthHook;
}

/** What the dispatcher receives: only the routing fields, never bookkeeping. */
function deliveryView(n: Notification) {
  if (n.raw) return { notification_id: n.notification_id, ...n.raw };
  const view: Record<string, string> = {
    notification_id: n.notification_id,
    user_id: n.user_id,
    session_key: n.session_key,
    content: n.content,
    // Optional in the contract: lets the runtime report how long a notification has waited.
    created_at: n.created_at,
  };
  if (n.task_id !== undefined) view.task_id = n.task_id;
  if (n.task_title !== undefined) view.task_title = n.task_title;
  return view;
}

export function registerInternalRoutes(app: FastifyInstance, deps: InternalRouteDeps): void {
  const { store, idempotency, internalAuth } = deps;
  const auth = { onRequest: internalAuth };

  app.post('/api/mission-control/notifications', auth, async (request, reply) => {
    // Test-only escape hatch: `?unchecked=true` skips validation and serves the body back as the
    // delivery verbatim, to test how a runtime copes with malformed deliveries.
    if (parseOrThrow(enqueueQuery, request.query, 'query').unchecked === 'true') {
      const raw = request.body;
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
        throw new HttpError(400, 'an unchecked notification must still be a JSON object', 'validation_error');
      }
      return store.enqueueUnchecked(raw as Record<string, unknown>);
    }
    const body = parseBody(enqueueNotificationBody, request.body);
    const result = idempotency.run(
      body.user_id,
      'POST /notifications',
      body.idempotency_key,
      request.body,
      () =>
        store.enqueueNotification({
          user_id: body.user_id,
          session_key: body.session_key,
          content: body.content,
          task_id: body.task_id,
          task_title: body.task_title,
        }),
    );
    if (result.replayed) reply.header('idempotent-replayed', 'true');
    return result.response;
  });

  app.get('/api/mission-control/dispatch/undelivered', auth, async (request) => {
    const query = parseOrThrow(undeliveredQuery, request.query, 'query');
    return { deliveries: store.undelivered(query.limit_users, query.limit_notifications).map(deliveryView) };
  });

  app.post('/api/mission-control/dispatch/notifications/:id/deliver', auth, async (request) => {
    const { id } = parseOrThrow(deliverParams, request.params, 'path');
    const { user_id: userId } = parseOrThrow(deliverQuery, request.query, 'query');
    const notification = store.markDelivered(id, userId);
    if (!notification) {
      throw new HttpError(
        404,
        `Notification "${id}" does not exist for user "${userId}"; ack the notification_id and user_id exactly as GET /api/mission-control/dispatch/undelivered returned them`,
        'notification_not_found',
      );
    }
    return {
      status: 'delivered',
      notification_id: notification.notification_id,
      delivered_at: notification.delivered_at,
    };
  });

  app.get('/api/mission-control/_inspect', auth, async (request) => {
    const query = parseOrThrow(inspectQuery, request.query, 'query');
    return store.snapshot(query.user_id);
  });
}
