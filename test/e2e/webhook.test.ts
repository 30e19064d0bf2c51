/**
 * Webhooks (docs/architecture.md, "The AgentTurn step shape") to a real HTTP receiver on 127.0.0.1
 * (the stack allows private destinations): `agent.completed` carries the turn's result and a
 * timestamped HMAC signature that the published verifier accepts, caller headers arrive, a failed
 * turn sends `agent.failed`, a call waiting for approval `agent.approval_required`, a cancelled turn
 * `agent.cancelled`, and a receiver that refuses the webhook does not fail the turn. Each
 * event is delivered by its own WebhookDelivery workflow after the turn has answered.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyWebhookSignature } from '../../src/clients/webhook/sign';
import { sendBody } from '../support/stack';
import { makeWebhookDeliveryId } from '../../src/shared/webhook';
import { eventually, send, useStack } from './helpers';

interface Delivery {
  path: string;
  headers: http.IncomingHttpHeaders;
  raw: string;
  json: Record<string, unknown>;
}

const SECRET = 'whsec-e2e-webhook-secret';

describe('webhooks', () => {
  const stack = useStack();
  let server: http.Server;
  let base: string;
  const deliveries: Delivery[] = [];
  /** Status the receiver answers for a path (default 200). */
  const statusFor = new Map<string, number>();

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(parts).toString('utf8');
        const path = req.url ?? '/';
        deliveries.push({
          path,
          headers: req.headers,
          raw,
          json: JSON.parse(raw) as Record<string, unknown>,
        });
        res.writeHead(statusFor.get(path) ?? 200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const deliveredTo = (path: string) => deliveries.filter((d) => d.path === path);
  /** Deliveries run in their own workflow after the turn answers: wait for the first to arrive. */
  const arrivedAt = (path: string) =>
    eventually(async () => (deliveredTo(path).length > 0 ? deliveredTo(path) : undefined));
  /** The turn's WebhookDelivery run for an event, once it has finished. */
  const deliveryResult = (turnId: string, event: string) =>
    stack().client.workflow.getHandle(makeWebhookDeliveryId(turnId, event)).result();

  it('a completed turn sends a signed agent.completed that verifyWebhookSignature accepts', async () => {
    stack().llm.script(
      { toolCalls: [{ id: 'call_wh', name: 'add_numbers', arguments: { a: 1, b: 2 } }] },
      { text: 'Webhook reply.' },
    );
    const res = await send(
      stack(),
      sendBody({
        user_id: 'hooked',
        session_key: 'user:hooked:writer',
        metadata: { source: 'crm', ticket: 42 },
        webhook: {
          url: `${base}/completed?token=abc`,
          secret: SECRET,
          headers: { 'X-Receiver-Token': 'rcv-123' },
        },
      }),
    );
    expect(res.statusCode).toBe(200);
    const result = res.json();

    const got = await arrivedAt('/completed?token=abc');
    expect(got).toHaveLength(1);
    const d = got[0] as Delivery;
    expect(d.json).toEqual({
      event: 'agent.completed',
      turn_id: result.turn_id,
      task_id: result.task_id,
      user_id: 'hooked',
      role: 'writer',
      response: 'Webhook reply.',
      usage: result.usage,
      cost: result.cost,
      tool_calls: [{ name: 'add_numbers', ok: true }],
      metadata: { source: 'crm', ticket: 42 },
      timestamp: expect.any(String),
    });
    expect(Math.abs(Date.parse(String(d.json.timestamp)) - Date.now())).toBeLessThan(60_000);

    expect(d.headers['content-type']).toBe('application/json');
    expect(d.headers['x-receiver-token']).toBe('rcv-123');
    const signature = d.headers[SIGNATURE_HEADER.toLowerCase()] as string;
    const timestamp = d.headers[TIMESTAMP_HEADER.toLowerCase()] as string;
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature({ secret: SECRET, signature, timestamp, body: d.raw })).toBe(true);
    // The signature binds the secret, the body and the timestamp.
    expect(verifyWebhookSignature({ secret: `${SECRET}x`, signature, timestamp, body: d.raw })).toBe(false);
    expect(verifyWebhookSignature({ secret: SECRET, signature, timestamp, body: `${d.raw} ` })).toBe(false);
    expect(
      verifyWebhookSignature({ secret: SECRET, signature, timestamp: Number(timestamp) + 1, body: d.raw }),
    ).toBe(false);
  });

  it('a call that waits for approval sends agent.approval_required; a cancel sends agent.cancelled', async () => {
    const s = stack();
    s.llm.script({
      toolCalls: [
        { id: 'call_ann', name: 'publish_announcement', arguments: { title: 'Launch', body: 'Friday.' } },
      ],
    });
    const res = await send(
      s,
      sendBody({
        user_id: 'hooked-ap',
        session_key: 'user:hooked-ap:lead',
        metadata: { ticket: 7 },
        webhook: { url: `${base}/approval`, secret: SECRET },
      }),
      { query: 'wait=false' },
    );
    expect(res.statusCode).toBe(202);
    const turnId = res.json().turn_id as string;
    const [asked] = await arrivedAt('/approval');
    expect(asked?.json).toEqual({
      event: 'agent.approval_required',
      turn_id: turnId,
      user_id: 'hooked-ap',
      role: 'lead',
      call_id: 'call_ann',
      name: 'publish_announcement',
      arguments: JSON.stringify({ title: 'Launch', body: 'Friday.' }),
      step: 1,
      metadata: { ticket: 7 },
      timestamp: expect.any(String),
    });
    const cancelled = await s.api.inject({
      method: 'POST',
      url: `/api/agents/turns/${encodeURIComponent(turnId)}/cancel`,
      payload: { reason: 'changed my mind' },
    });
    expect(cancelled.statusCode).toBe(202);
    const both = await eventually(
      async () => (deliveredTo('/approval').length === 2 ? deliveredTo('/approval') : undefined),
      20_000,
    );
    expect(both[1]?.json).toMatchObject({
      event: 'agent.cancelled',
      turn_id: turnId,
      reason: 'changed my mind',
      metadata: { ticket: 7 },
    });
    expect((await s.backend.inspect('hooked-ap')).announcements).toEqual([]);
  });

  it('without a secret the webhook is sent unsigned', async () => {
    stack().llm.script({ text: 'Unsigned.' });
    const res = await send(
      stack(),
      sendBody({
        user_id: 'plainhook',
        session_key: 'user:plainhook:lead',
        webhook: { url: `${base}/unsigned` },
      }),
    );
    expect(res.statusCode).toBe(200);
    const [d] = await arrivedAt('/unsigned');
    expect(d?.json).toMatchObject({ event: 'agent.completed', response: 'Unsigned.' });
    expect(d?.headers[SIGNATURE_HEADER.toLowerCase()]).toBeUndefined();
    expect(d?.headers[TIMESTAMP_HEADER.toLowerCase()]).toBeUndefined();
  });

  it('a failed turn sends a signed agent.failed with the error', async () => {
    stack().llm.script({ status: 400, error: 'WEBHOOK-FAILURE-REASON' });
    const res = await send(
      stack(),
      sendBody({
        user_id: 'failhook',
        session_key: 'user:failhook:lead',
        metadata: { source: 'crm' },
        webhook: { url: `${base}/failed`, secret: SECRET },
      }),
    );
    expect(res.statusCode).toBe(502);
    const got = await arrivedAt('/failed');
    expect(got).toHaveLength(1);
    const d = got[0] as Delivery;
    expect(d.json).toEqual({
      event: 'agent.failed',
      turn_id: res.json().turn_id,
      user_id: 'failhook',
      role: 'lead',
      error: expect.stringContaining('WEBHOOK-FAILURE-REASON'),
      metadata: { source: 'crm' },
      timestamp: expect.any(String),
    });
    expect(
      verifyWebhookSignature({
        secret: SECRET,
        signature: d.headers['x-clasper-signature'] as string,
        timestamp: d.headers['x-clasper-timestamp'] as string,
        body: d.raw,
      }),
    ).toBe(true);
  });

  it('a receiver that refuses the webhook does not fail the turn', async () => {
    statusFor.set('/refuses', 400);
    stack().llm.script({ text: 'Still fine.' });
    const res = await send(
      stack(),
      sendBody({
        user_id: 'refused',
        session_key: 'user:refused:lead',
        webhook: { url: `${base}/refuses`, secret: SECRET },
      }),
    );
    expect(res.statusCode).toBe(200);
    expect(res.json().response).toBe('Still fine.');
    expect(await deliveryResult(res.json().turn_id, 'agent.completed')).toEqual({
      delivered: false,
      error: expect.stringContaining('400'),
    });
    expect(deliveredTo('/refuses')).toHaveLength(1); // a 400 is not retried
    expect((await stack().backend.inspect('refused')).messages).toHaveLength(1);
  });

  it('the answer never waits for a slow receiver: delivery retries after the turn has answered', async () => {
    // The receiver answers 503 (retryable) until told otherwise; the turn answers at once anyway.
    statusFor.set('/flaky', 503);
    stack().llm.script({ text: 'Answered before the webhook.' });
    const started = Date.now();
    const res = await send(
      stack(),
      sendBody({ user_id: 'flaky', session_key: 'user:flaky:lead', webhook: { url: `${base}/flaky` } }),
    );
    expect(res.statusCode).toBe(200);
    // The webhook profile backs off from 2 s; a turn that waited would take at least that long.
    expect(Date.now() - started).toBeLessThan(2_000);
    await arrivedAt('/flaky');
    statusFor.set('/flaky', 200);
    expect(await deliveryResult(res.json().turn_id, 'agent.completed')).toEqual({ delivered: true });
    expect(deliveredTo('/flaky').length).toBeGreaterThanOrEqual(2);
  });
});
