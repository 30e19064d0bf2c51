/**
 * A request body nested deeper than MAX_BODY_DEPTH is a 400. JSON.parse copes with any depth, but
 * everything after it recurses — zod, Temporal's payload converter (JSON.stringify overflows the
 * stack at a few thousand levels), logging — so a 20 kB body of `{"a":{"a":…}}` in `task_metadata`
 * used to end as a 500 "Maximum call stack size exceeded". No real payload comes close to the limit.
 */
import type { FastifyInstance } from 'fastify';

export const MAX_BODY_DEPTH = 64;

/** The nesting depth of a parsed JSON value (a scalar is 0), without recursion; stops past `limit`. */
export function jsonDepth(value: unknown, limit = Infinity): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (v === null || typeof v !== 'object') continue;
    const inner = depth + 1;
    if (inner > max) max = inner;
    if (max > limit) return max;
    for (const child of Array.isArray(v) ? v : Object.values(v as Record<string, unknown>))
      stack.push([child, inner]);
  }
  return max;
}

export function registerBodyDepthLimit(app: FastifyInstance, maxDepth = MAX_BODY_DEPTH): void {
  // preValidation runs after parsing and before the zod schemas, on every route.
  app.addHook('preValidation', async (request, reply) => {
    if (request.body === undefined || request.body === null || typeof request.body !== 'object') return;
    if (jsonDepth(request.body, maxDepth) > maxDepth) {
      return reply.code(400).send({ error: `request body is nested more than ${maxDepth} levels deep` });
    }
  });
}
