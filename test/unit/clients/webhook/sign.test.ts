import { createHmac } from 'node:crypto';
import { signWebhook, verifyWebhookSignature } from '../../../../src/clients/webhook/sign';

const secret = 'whsec_test';
const body = JSON.stringify({ event: 'agent.completed', turn_id: 't1' });
const now = new Date('2025-01-01T12:00:00Z');
const ts = Math.floor(now.getTime() / 1000);

describe('webhook signatures', () => {
  it('is hex HMAC-SHA256 over "<timestamp>.<body>"', () => {
    const expected = createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex');
    expect(signWebhook(secret, ts, body)).toBe(expected);
    expect(signWebhook(secret, ts, Buffer.from(body))).toBe(expected);
  });

  it('verifies a good signature, with or without the sha256= prefix', () => {
    const sig = signWebhook(secret, ts, body);
    expect(
      verifyWebhookSignature({ secret, signature: `sha256=${sig}`, timestamp: String(ts), body, now }),
    ).toBe(true);
    expect(
      verifyWebhookSignature({
        secret,
        signature: sig.toUpperCase(),
        timestamp: ts,
        body: Buffer.from(body),
        now,
      }),
    ).toBe(true);
  });

  it('rejects a wrong secret', () => {
    const sig = signWebhook('other', ts, body);
    expect(verifyWebhookSignature({ secret, signature: `sha256=${sig}`, timestamp: ts, body, now })).toBe(
      false,
    );
  });

  it('rejects a tampered body or timestamp', () => {
    const sig = `sha256=${signWebhook(secret, ts, body)}`;
    expect(
      verifyWebhookSignature({ secret, signature: sig, timestamp: ts, body: body.replace('t1', 't2'), now }),
    ).toBe(false);
    expect(verifyWebhookSignature({ secret, signature: sig, timestamp: ts + 1, body, now })).toBe(false);
  });

  it('rejects stale and future timestamps beyond the tolerance', () => {
    const old = ts - 301;
    const oldSig = `sha256=${signWebhook(secret, old, body)}`;
    expect(verifyWebhookSignature({ secret, signature: oldSig, timestamp: old, body, now })).toBe(false);
    expect(
      verifyWebhookSignature({ secret, signature: oldSig, timestamp: old, body, now, toleranceSec: 600 }),
    ).toBe(true);
    const future = ts + 301;
    expect(
      verifyWebhookSignature({
        secret,
        signature: signWebhook(secret, future, body),
        timestamp: future,
        body,
        now,
      }),
    ).toBe(false);
  });

  it('rejects missing or malformed inputs without throwing', () => {
    const sig = signWebhook(secret, ts, body);
    expect(verifyWebhookSignature({ secret, signature: undefined, timestamp: ts, body, now })).toBe(false);
    expect(verifyWebhookSignature({ secret, signature: sig, timestamp: undefined, body, now })).toBe(false);
    expect(verifyWebhookSignature({ secret, signature: 'sha256=abc', timestamp: ts, body, now })).toBe(false);
    expect(verifyWebhookSignature({ secret, signature: sig, timestamp: 'yesterday', body, now })).toBe(false);
    expect(verifyWebhookSignature({ secret: '', signature: sig, timestamp: ts, body, now })).toBe(false);
  });
});
