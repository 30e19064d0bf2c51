/**
 * Daemon-key auth in one hook: every route but /health needs `X-Agent-Daemon-Key` when
 * AGENT_DAEMON_API_KEY is set. Missing → 401, wrong → 403; compared in constant time. The plain
 * /health stays open for load balancers; `/health?deep=true` calls Temporal and the backend, so an
 * anonymous caller must not be able to make it do so at will: it needs the key too. The codec
 * server (/codec/…) checks its own credentials (routes/codec.ts): the Temporal UI cannot send this
 * header, and a browser's CORS preflight carries no credentials at all.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';

const OPEN_PATHS = new Set(['/health']);

function sameSecret(given: string, expected: string): boolean {
  // Hashing first gives equal-length buffers, so the comparison time says nothing about the key.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export function registerDaemonKeyAuth(app: FastifyInstance, daemonKey: string | undefined): void {
  if (!daemonKey) return;
  app.addHook('onRequest', async (request, reply) => {
    const [path = '', query = ''] = request.url.split('?', 2);
    if (OPEN_PATHS.has(path) && new URLSearchParams(query).get('deep') !== 'true') return;
    if (path.startsWith('/codec/')) return;
    const given = request.headers['x-agent-daemon-key'];
    if (given === undefined || given === '') {
      return reply.code(401).send({ error: 'X-Agent-Daemon-Key header is required' });
    }
    if (typeof given !== 'string' || !sameSecret(given, daemonKey)) {
      return reply.code(403).send({ error: 'X-Agent-Daemon-Key is not valid' });
    }
  });
}
