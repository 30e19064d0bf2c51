/**
 * Request ids: a caller's `x-request-id` is kept when it looks like an id (so one id follows a
 * request through a proxy, the API's logs and the reply), otherwise a UUID is made. Every log line
 * of the request carries it as `request_id`, and every reply echoes it in `x-request-id`.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';

export const REQUEST_ID_HEADER = 'x-request-id';
export const REQUEST_ID_LOG_LABEL = 'request_id';
/** Ids go into logs verbatim: short, and no characters that could forge a log line. */
const ACCEPTABLE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** For Fastify's `genReqId`. */
export function requestIdFrom(headers: Record<string, string | string[] | undefined>): string {
  const given = headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && ACCEPTABLE_ID.test(given) ? given : randomUUID();
}

/** Echoes the id on every reply, errors and 401s included (registered before the auth hook). */
export function registerRequestIdEcho(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });
}
