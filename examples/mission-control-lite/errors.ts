/**
 * Every failure leaves this server as JSON `{error, code?, details?}` (contract v1). Handlers throw
 * HttpError; the error and not-found handlers below turn everything else into the same shape, so a
 * malformed request can never surface as a 500 or as Fastify's default error body.
 */
import { type FastifyError, type FastifyInstance } from 'fastify';
import { type z } from 'zod';

export interface ErrorBody {
  error: string;
  code?: string;
  details?: unknown;
}

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly code?: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'HttpError';
  }

  toBody(): ErrorBody {
    const body: ErrorBody = { error: this.message };
    if (this.code !== undefined) body.code = this.code;
    if (this.details !== undefined) body.details = this.details;
    return body;
  }
}

export interface FieldIssue {
  path: string;
  message: string;
}

function issuePath(path: readonly PropertyKey[], prefix: string): string {
  const parts = path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p)));
  const joined = parts.join('.').replace(/\.\[/g, '[');
  if (!prefix) return joined || '(root)';
  return joined ? `${prefix}.${joined}` : prefix;
}

/**
 * Parses `value` with `schema` or throws a 400 naming each bad field, e.g.
 * `Invalid request body: title: Invalid input: expected string, received undefined`.
 */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
  pathPrefix = '',
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues: FieldIssue[] = result.error.issues.map((i) => ({
    path: issuePath(i.path, pathPrefix),
    message: i.message,
  }));
  const summary = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
  throw new HttpError(400, `Invalid ${what}: ${summary}`, 'validation_error', { issues });
}

const CLIENT_ERROR_HINTS: Record<string, string> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'send a JSON body with Content-Type: application/json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'check the body is valid JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'send a smaller body',
};

/** parseOrThrow for a JSON body, with a plain message when there is no body at all. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  if (body === undefined) {
    throw new HttpError(
      400,
      'Request body is missing; send a JSON object with Content-Type: application/json',
      'validation_error',
      { issues: [{ path: '(root)', message: 'body is missing' }] },
    );
  }
  return parseOrThrow(schema, body, 'request body');
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | HttpError, request, reply) => {
    if (err instanceof HttpError) {
      return reply.code(err.statusCode).send(err.toBody());
    }
    // Fastify's own client errors (bad JSON, body too large, unsupported media type) keep their
    // status; only genuine bugs become 500s.
    const status = typeof err.statusCode === 'number' ? err.statusCode : 500;
    if (status >= 400 && status < 500) {
      const hint = CLIENT_ERROR_HINTS[err.code ?? ''];
      const body: ErrorBody = { error: hint ? `${err.message}; ${hint}` : err.message };
      if (err.code) body.code = err.code;
      return reply.code(status).send(body);
    }
    request.log.error({ err }, 'unhandled error in mission-control-lite');
    return reply.code(500).send({
      error: `Internal error while handling ${request.method} ${request.url}: ${err.message}`,
      code: 'internal_error',
    });
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    return reply.code(404).send({
      error: `Route ${request.method} ${path} does not exist; see examples/mission-control-lite/README.md for the endpoints`,
      code: 'route_not_found',
    });
  });

  // Clients (the dispatcher's ack, curl) often send `Content-Type: application/json` with no body;
  // treat that as "no body" instead of Fastify's default 400, and leave real JSON to the default
  // parser, which also guards against prototype poisoning.
  // Only JSON is spoken here; dropping the text/plain parser turns a text body into a clear 415
  // instead of a confusing "expected object, received string".
  const defaultJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    void defaultJson(request, text, (err, value) => {
      if (err) return done(err, undefined);
      // JSON.parse takes any depth, but validation and the reply's serialisation recurse: a deep
      // body would end as "Maximum call stack size exceeded", a 500.
      if (jsonDepthOver(value, MAX_JSON_DEPTH)) {
        return done(
          new HttpError(
            400,
            `Request body is nested more than ${MAX_JSON_DEPTH} levels deep`,
            'validation_error',
          ),
          undefined,
        );
      }
      done(null, value);
    });
  });
}

const MAX_JSON_DEPTH = 64;

/** True when `value` nests objects/arrays more than `limit` levels deep; iterative, so any depth is safe. */
function jsonDepthOver(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (v === null || typeof v !== 'object') continue;
    if (depth + 1 > limit) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v as Record<string, unknown>))
      stack.push([child, depth + 1]);
  }
  return false;
}
