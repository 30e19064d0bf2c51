/**
 * Fault injection for resilience tests: make the next N matching requests fail in a chosen way,
 * so the runtime's retries, timeouts and idempotency keys can be proven against a real server.
 * `lose_response` is the important one: the write happens, then the connection dies before the
 * answer, which is exactly the case only an idempotency key makes safe to retry.
 */
import { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type AuthHook } from './auth';
import { parseBody } from './errors';

const FAULT_ROUTES = ['/api/mission-control/_faults', '/api/mission-control/_inspect'];

const ruleSchema = z
  .object({
    method: z
      .string()
      .regex(/^[A-Za-z]+$/, { error: 'must be an HTTP method such as GET or POST' })
      .transform((m) => m.toUpperCase())
      .optional(),
    path: z.string().startsWith('/', { error: 'must be a URL path prefix starting with /' }),
    times: z.number().int().min(1).max(10_000).default(1),
    mode: z.enum(['status', 'drop', 'delay', 'lose_response']),
    status: z.number().int().min(400).max(599).optional(),
    retry_after_sec: z.number().int().min(0).max(86_400).optional(),
    delay_ms: z.number().int().min(0).max(120_000).optional(),
    // A share of matching requests rather than every one: each match is faulted with this
    // probability until `times` faults were applied. Absent means every match (1).
    probability: z.number().gt(0).max(1).optional(),
  })
  // Filled in only for "status" so GET _faults does not show a status that will never be sent.
  .transform((r) => (r.mode === 'status' ? { ...r, status: r.status ?? 503 } : r))
  .refine((r) => r.mode !== 'delay' || r.delay_ms !== undefined, {
    error: 'delay_ms is required when mode is "delay"',
    path: ['delay_ms'],
  });

export const faultsBody = z.object({
  rules: z.array(ruleSchema).max(100),
  // Seeds the draws of `probability` rules, so a run's sequence of faults can be repeated.
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1)
    .optional(),
});

export type FaultRule = z.output<typeof ruleSchema>;

interface ActiveRule extends FaultRule {
  remaining: number;
}

export interface AppliedFault {
  method: string;
  path: string;
  mode: FaultRule['mode'];
  at: string;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** mulberry32: a small seeded PRNG, so `probability` rules can be replayed from a seed. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Ends the connection without an HTTP answer: the client sees a reset / "socket hang up". */
function killConnection(request: FastifyRequest, reply: FastifyReply): void {
  const socket = request.raw.socket as typeof request.raw.socket | null;
  if (socket) socket.destroy();
  else reply.raw.destroy();
}

export class FaultInjector {
  private rules: ActiveRule[] = [];
  private readonly applied: AppliedFault[] = [];
  private appliedCount = 0;
  private appliedByMode: Partial<Record<FaultRule['mode'], number>> = {};
  private random: () => number = Math.random;

  replace(rules: FaultRule[], seed?: number): void {
    this.rules = rules.map((r) => ({ ...r, remaining: r.times }));
    this.random = seed === undefined ? Math.random : seededRandom(seed);
  }

  clear(): void {
    this.rules = [];
  }

  state() {
    return {
      rules: this.rules.map(({ remaining, ...rule }) => ({ ...rule, remaining })),
      applied_count: this.appliedCount,
      applied_by_mode: { ...this.appliedByMode },
      applied: [...this.applied],
    };
  }

  /**
   * Claims one use of the first rule matching the request, if any. A rule with a `probability`
   * applies only when its draw says so; otherwise the next matching rule gets its chance.
   */
  take(method: string, path: string): FaultRule | undefined {
    if (FAULT_ROUTES.some((p) => path === p || path.startsWith(`${p}/`))) return undefined;
    const rule = this.rules.find(
      (r) =>
        (r.method === undefined || r.method === method) &&
        path.startsWith(r.path) &&
        (r.probability === undefined || this.random() < r.probability),
    );
    if (!rule) return undefined;
    rule.remaining -= 1;
    if (rule.remaining <= 0) this.rules = this.rules.filter((r) => r !== rule);
    this.appliedCount += 1;
    this.appliedByMode[rule.mode] = (this.appliedByMode[rule.mode] ?? 0) + 1;
    this.applied.push({ method, path, mode: rule.mode, at: new Date().toISOString() });
    // Keep the log bounded for long-running demo servers.
    if (this.applied.length > 200) this.applied.shift();
    return rule;
  }
}

/**
 * Installs the hooks. Registered before any route so faults hit before authentication, like a
 * proxy or network failure would.
 */
export function registerFaultHooks(app: FastifyInstance, faults: FaultInjector): void {
  const losing = new WeakSet<FastifyRequest>();

  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0] ?? request.url;
    const rule = faults.take(request.method, path);
    if (!rule) return;
    switch (rule.mode) {
      case 'status': {
        const status = rule.status ?? 503;
        if (rule.retry_after_sec !== undefined) reply.header('retry-after', String(rule.retry_after_sec));
        return reply.code(status).send({
          error: `Injected fault: ${request.method} ${path} answered ${status} by a _faults rule`,
          code: 'injected_fault',
        });
      }
      case 'drop':
        // hijack tells Fastify the reply is handled, so the lifecycle stops here.
        reply.hijack();
        killConnection(request, reply);
        return reply;
      case 'delay':
        await sleep(rule.delay_ms ?? 0);
        return;
      case 'lose_response':
        losing.add(request);
        return;
    }
  });

  // onSend runs after the handler did its work and before anything is written.
  app.addHook('onSend', async (request, reply, payload) => {
    if (losing.has(request)) killConnection(request, reply);
    return payload;
  });
}

export function registerFaultRoutes(
  app: FastifyInstance,
  faults: FaultInjector,
  internalAuth: AuthHook,
): void {
  app.get('/api/mission-control/_faults', { onRequest: internalAuth }, async () => faults.state());

  app.post('/api/mission-control/_faults', { onRequest: internalAuth }, async (request) => {
    const body = parseBody(faultsBody, request.body);
    faults.replace(body.rules, body.seed);
    return faults.state();
  });

  app.delete('/api/mission-control/_faults', { onRequest: internalAuth }, async () => {
    faults.clear();
    return faults.state();
  });
}
