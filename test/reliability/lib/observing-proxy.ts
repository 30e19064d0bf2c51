/**
 * A transparent HTTP proxy in front of the backend that tells the crash scenario what the worker
 * is doing right now ("a reply POST is in flight") and can hold a request for a moment, so a
 * SIGKILL lands exactly while a write is on the wire. It forwards every request unchanged; when
 * the worker dies mid-request the proxy still completes the write, and the answer is lost with
 * the process: the case only an idempotency key makes safe.
 */
import http from 'node:http';
import { type AddressInfo } from 'node:net';

export interface ProxiedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  body: string;
  at: number;
}

type Waiter = { match: (r: ProxiedRequest) => boolean; resolve: (r: ProxiedRequest | undefined) => void };

const HOP_BY_HOP = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive']);

export class ObservingProxy {
  private server: http.Server | undefined;
  private waiters: Waiter[] = [];
  /** How long to hold a matching request before forwarding it (0 = none). */
  hold: { match: (r: ProxiedRequest) => boolean; ms: number } | undefined;
  url = '';
  forwarded = 0;

  constructor(private readonly target: string) {}

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch(() => {
        if (!res.headersSent)
          res.writeHead(502).end(JSON.stringify({ error: 'proxy could not reach the backend' }));
        else res.destroy();
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', () => resolve()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The next request matching `match`, or undefined after `timeoutMs`. */
  next(match: (r: ProxiedRequest) => boolean, timeoutMs: number): Promise<ProxiedRequest | undefined> {
    return new Promise((resolve) => {
      const waiter: Waiter = {
        match,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(undefined);
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const info: ProxiedRequest = {
      method: req.method ?? 'GET',
      path: (req.url ?? '/').split('?')[0] ?? '/',
      body,
      at: Date.now(),
    };
    const matched = this.waiters.filter((w) => w.match(info));
    this.waiters = this.waiters.filter((w) => !matched.includes(w));
    matched.forEach((w) => w.resolve(info));
    if (this.hold?.match(info)) await new Promise((r) => setTimeout(r, this.hold?.ms ?? 0));

    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (!HOP_BY_HOP.has(k) && typeof v === 'string') headers[k] = v;
    }
    const upstream = await fetch(`${this.target}${req.url ?? '/'}`, {
      method: info.method,
      headers,
      body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
      redirect: 'manual',
      signal: AbortSignal.timeout(120_000),
    });
    const answer = Buffer.from(await upstream.arrayBuffer());
    this.forwarded += 1;
    if (res.destroyed) return; // the caller died meanwhile: its answer is lost
    const out: Record<string, string> = {};
    upstream.headers.forEach((v, k) => {
      if (!HOP_BY_HOP.has(k) && k !== 'content-encoding') out[k] = v;
    });
    res.writeHead(upstream.status, out).end(answer);
  }

  async stop(): Promise<void> {
    this.waiters.forEach((w) => w.resolve(undefined));
    this.waiters = [];
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
