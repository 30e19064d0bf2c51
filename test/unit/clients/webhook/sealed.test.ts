import { ApplicationFailure } from '@temporalio/common';
import { sealWebhookSecrets, unsealWebhookSecrets } from '../../../../src/clients/webhook/sealed';

const KEY = 'jwt-secret-for-tests-0123456789';
const secrets = {
  secret: 'whsec_super_secret_value',
  headers: { Authorization: 'Bearer token-abc-123', 'X-Team': 'blue-team-9' },
};

function expectUnsealFailure(fn: () => unknown): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ApplicationFailure);
  const failure = caught as ApplicationFailure;
  expect(failure.type).toBe('Webhook.Unseal');
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toMatch(/AGENT_JWT_SECRET/);
  for (const v of [secrets.secret, ...Object.values(secrets.headers), KEY])
    expect(failure.message).not.toContain(v);
}

describe('webhook secret sealing', () => {
  it('round-trips the secret and headers', () => {
    const sealed = sealWebhookSecrets(KEY, secrets);
    expect(unsealWebhookSecrets(KEY, sealed)).toEqual(secrets);
  });

  it('round-trips partial input', () => {
    expect(unsealWebhookSecrets(KEY, sealWebhookSecrets(KEY, { secret: 's' }))).toEqual({ secret: 's' });
    expect(unsealWebhookSecrets(KEY, sealWebhookSecrets(KEY, { headers: { A: 'b' } }))).toEqual({
      headers: { A: 'b' },
    });
    expect(unsealWebhookSecrets(KEY, sealWebhookSecrets(KEY, {}))).toEqual({});
  });

  it('round-trips the URL, whose path and query stay out of the sealed text', () => {
    const url = 'https://hooks.example.com/in?token=query-token-123';
    const sealed = sealWebhookSecrets(KEY, { url, secret: 's' });
    expect(sealed).not.toContain('query-token-123');
    expect(unsealWebhookSecrets(KEY, sealed)).toEqual({ url, secret: 's' });
  });

  it('produces the compact v1 format and a fresh IV each time', () => {
    const a = sealWebhookSecrets(KEY, secrets);
    const b = sealWebhookSecrets(KEY, secrets);
    expect(a).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(a).not.toBe(b);
  });

  it('never contains the secret or header values in clear', () => {
    const sealed = sealWebhookSecrets(KEY, secrets);
    for (const v of [secrets.secret, ...Object.values(secrets.headers), 'Authorization', KEY]) {
      expect(sealed).not.toContain(v);
      expect(sealed).not.toContain(Buffer.from(v).toString('base64url'));
    }
  });

  it('rejects a tampered ciphertext, IV or tag', () => {
    const sealed = sealWebhookSecrets(KEY, secrets);
    const parts = sealed.split('.');
    for (const i of [1, 2, 3]) {
      const copy = [...parts];
      const field = Buffer.from(copy[i]!, 'base64url');
      field[0] = field[0]! ^ 0x01;
      copy[i] = field.toString('base64url');
      expectUnsealFailure(() => unsealWebhookSecrets(KEY, copy.join('.')));
    }
  });

  it('rejects a wrong key', () => {
    const sealed = sealWebhookSecrets(KEY, secrets);
    expectUnsealFailure(() => unsealWebhookSecrets('another-secret', sealed));
  });

  it('rejects garbage and a missing worker key', () => {
    expectUnsealFailure(() => unsealWebhookSecrets(KEY, 'not-sealed'));
    expectUnsealFailure(() => unsealWebhookSecrets(KEY, 'v2.a.b.c'));
    expectUnsealFailure(() => unsealWebhookSecrets('', sealWebhookSecrets(KEY, secrets)));
  });

  it('refuses to seal without a key', () => {
    expect(() => sealWebhookSecrets('', secrets)).toThrow(/AGENT_JWT_SECRET/);
  });
});
