import http from 'node:http';
import { type AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { sealWebhookSecrets } from '../../../../src/clients/webhook/sealed';
import { createWebhookClient } from '../../../../src/clients/webhook/send-webhook';
import { parseRetryAfter as parseRetryAfterMs } from '../../../../src/clients/http-errors';
import { verifyWebhookSignature } from '../../../../src/clients/webhook/sign';
import { startReceiver, type Receiver } from './receiver';

const JWT_SECRET = 'jwt-secret-for-webhook-tests';
const SECRET = 'whsec_receiver_shared_secret';
const CALLER_HEADERS = {
  Authorization: 'Bearer caller-token-xyz',
  'X-Tenant': 'tenant-42',
  // None of these may override ours.
  'content-type': 'text/plain',
  'User-Agent': 'evil',
  'X-Clasper-Signature': 'sha256=forged',
  'x-clasper-timestamp': '1',
};
const SECRET_VALUES = [SECRET, 'caller-token-xyz', 'tenant-42', JWT_SECRET, 'path-token-123'];

interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  signatureOk: boolean;
}

let receiver: Receiver;
let base: string;
const received: Received[] = [];

beforeAll(async () => {
  receiver = await startReceiver((req, body, res) => {
    const signatureOk = verifyWebhookSignature({
      secret: SECRET,
      signature: req.headers['x-clasper-signature'] as string | undefined,
      timestamp: req.headers['x-clasper-timestamp'] as string | undefined,
      body,
    });
    received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, signatureOk });
    const path = req.url ?? '/';
    if (path.startsWith('/hang')) return; // never answers: exercises the timeout
    const status = Number(/^\/status\/(\d+)/.exec(path)?.[1] ?? 200);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (path.includes('retry-after')) headers['retry-after'] = '7';
    if (status >= 300 && status < 400) headers.location = `${base}/redirected`;
    res.writeHead(status, headers);
    // A receiver that echoes our headers must not leak them into our errors.
    res.end(JSON.stringify({ echoed: req.headers }));
  });
  base = `http://127.0.0.1:${receiver.port}`;
});

afterAll(() => receiver.close());

beforeEach(() => {
  received.length = 0;
});

const payload = { event: 'agent.completed', turn_id: 'agent-turn/u1/abc', response: 'Done.' };
const sealed = () => sealWebhookSecrets(JWT_SECRET, { secret: SECRET, headers: CALLER_HEADERS });

async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ApplicationFailure);
    const f = err as ApplicationFailure;
    for (const v of SECRET_VALUES) expect(f.message).not.toContain(v);
    expect(JSON.stringify(f.details ?? [])).not.toContain(SECRET);
    return f;
  }
  throw new Error('expected sendWebhook to fail');
}

describe('sendWebhook against a real local receiver', () => {
  const { sendWebhook } = createWebhookClient({ jwtSecret: JWT_SECRET, allowPrivate: true });

  it('POSTs the JSON payload, signed, with the caller headers but ours winning', async () => {
    await expect(sendWebhook({ url: `${base}/hook`, sealed: sealed(), payload })).resolves.toEqual({
      status: 200,
    });
    expect(received).toHaveLength(1);
    const r = received[0]!;
    expect(r.method).toBe('POST');
    expect(JSON.parse(r.body)).toEqual(payload);
    expect(r.signatureOk).toBe(true);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.headers['user-agent']).toBe('Clasper-Webhook/1.0');
    expect(r.headers['authorization']).toBe('Bearer caller-token-xyz');
    expect(r.headers['x-tenant']).toBe('tenant-42');
    expect(r.headers['x-clasper-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(Number(r.headers['x-clasper-timestamp'])).toBeCloseTo(Date.now() / 1000, -1);
  });

  it('sends unsigned when no secrets were sealed', async () => {
    await expect(sendWebhook({ url: `${base}/hook`, payload })).resolves.toEqual({ status: 200 });
    expect(received[0]!.headers['x-clasper-signature']).toBeUndefined();
    expect(received[0]!.headers['x-clasper-timestamp']).toBeUndefined();
  });

  it('accepts any 2xx', async () => {
    await expect(sendWebhook({ url: `${base}/status/204`, payload })).resolves.toEqual({ status: 204 });
  });

  it.each([500, 503, 408, 429])('treats %i as retryable', async (status) => {
    const f = await failureOf(
      sendWebhook({ url: `${base}/status/${status}/path-token-123`, sealed: sealed(), payload }),
    );
    expect(f.type).toBe('Webhook.Retryable');
    expect(f.nonRetryable).toBe(false);
    expect(f.message).toContain(String(status));
  });

  it('honours Retry-After', async () => {
    const f = await failureOf(sendWebhook({ url: `${base}/status/429/retry-after`, payload }));
    expect(f.type).toBe('Webhook.Retryable');
    expect(f.nextRetryDelay).toBe(7000);
  });

  it.each([400, 401, 404, 410])('treats %i as non-retryable', async (status) => {
    const f = await failureOf(sendWebhook({ url: `${base}/status/${status}`, sealed: sealed(), payload }));
    expect(f.type).toBe('Webhook.Rejected');
    expect(f.nonRetryable).toBe(true);
  });

  it('does not follow redirects', async () => {
    const f = await failureOf(sendWebhook({ url: `${base}/status/302`, payload }));
    expect(f.type).toBe('Webhook.Rejected');
    expect(f.message).toMatch(/redirect/);
    expect(received.map((r) => r.url)).toEqual(['/status/302']);
  });

  it('turns a refused connection into a retryable failure', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const f = await failureOf(
      sendWebhook({ url: `http://127.0.0.1:${port}/hook`, sealed: sealed(), payload }),
    );
    expect(f.type).toBe('Webhook.Retryable');
    expect(f.message).toMatch(/ECONNREFUSED/);
  });

  it('times out a receiver that never answers, retryably', async () => {
    const quick = createWebhookClient({ jwtSecret: JWT_SECRET, allowPrivate: true, timeoutMs: 300 });
    const f = await failureOf(quick.sendWebhook({ url: `${base}/hang`, payload }));
    expect(f.type).toBe('Webhook.Retryable');
    expect(f.message).toMatch(/timed out/);
  });

  it('fails non-retryably when the sealed blob was made with another key', async () => {
    const other = createWebhookClient({ jwtSecret: 'a-different-jwt-secret', allowPrivate: true });
    const f = await failureOf(other.sendWebhook({ url: `${base}/hook`, sealed: sealed(), payload }));
    expect(f.type).toBe('Webhook.Unseal');
    expect(f.nonRetryable).toBe(true);
    expect(received).toHaveLength(0);
  });

  it('fails non-retryably on a header value that would split the request, without echoing it', async () => {
    const bad = sealWebhookSecrets(JWT_SECRET, {
      headers: { 'X-Evil': 'caller-token-xyz\r\nX-Injected: 1' },
    });
    const f = await failureOf(sendWebhook({ url: `${base}/hook`, sealed: bad, payload }));
    expect(f.type).toBe('Webhook.Invalid');
    expect(f.nonRetryable).toBe(true);
    expect(f.message).not.toContain('X-Injected');
    expect(received).toHaveLength(0);
  });
});

describe('sendWebhook URL policy', () => {
  it('refuses loopback when private destinations are not allowed, before any request', async () => {
    const { sendWebhook } = createWebhookClient({ jwtSecret: JWT_SECRET, allowPrivate: false });
    const f = await failureOf(sendWebhook({ url: `${base}/hook`, sealed: sealed(), payload }));
    expect(f.type).toBe('Webhook.Refused');
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toMatch(/loopback/);
    expect(received).toHaveLength(0);
  });

  it('refuses a name that resolves to a private address', async () => {
    let posted = false;
    const { sendWebhook } = createWebhookClient({
      allowPrivate: false,
      lookupAll: async () => [{ address: '10.0.0.7', family: 4 }],
      post: async () => {
        posted = true;
        return { status: 200, headers: new Headers() };
      },
    });
    const f = await failureOf(sendWebhook({ url: 'https://hooks.example.com/x', payload }));
    expect(f.type).toBe('Webhook.Refused');
    expect(posted).toBe(false);
  });

  it('retries when DNS cannot answer right now', async () => {
    const { sendWebhook } = createWebhookClient({
      allowPrivate: false,
      lookupAll: async () => {
        throw Object.assign(new Error('temporary failure'), { code: 'EAI_AGAIN' });
      },
    });
    const f = await failureOf(sendWebhook({ url: 'https://hooks.example.com/x', payload }));
    expect(f.type).toBe('Webhook.Retryable');
  });
});

describe('parseRetryAfterMs', () => {
  const now = new Date('2025-01-01T00:00:00Z');
  it('reads seconds and HTTP dates, clamps to [0, 10 min]', () => {
    expect(parseRetryAfterMs('3', now)).toBe(3000);
    expect(parseRetryAfterMs('Wed, 01 Jan 2025 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfterMs('Tue, 31 Dec 2024 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfterMs('99999', now)).toBe(600_000);
    expect(parseRetryAfterMs('soon', now)).toBeUndefined();
    expect(parseRetryAfterMs(null, now)).toBeUndefined();
  });
});
