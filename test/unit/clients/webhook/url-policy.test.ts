import {
  checkWebhookUrl,
  checkWebhookUrlSyntax,
  type LookupAll,
} from '../../../../src/clients/webhook/url-policy';

const strict = { allowPrivate: false };

/** A fake DNS so the DNS branch is tested without the network. */
const fakeDns: LookupAll = async (hostname) => {
  const table: Record<string, string[]> = {
    'public.example': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
    'intranet.example': ['10.1.2.3'],
    'rebind.example': ['93.184.215.14', '127.0.0.1'],
    'mapped.example': ['::ffff:169.254.169.254'],
    'v6local.example': ['fe80::1'],
  };
  const addrs = table[hostname];
  if (hostname === 'flaky.example') throw Object.assign(new Error('temporary'), { code: 'EAI_AGAIN' });
  if (!addrs) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
  return addrs.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

describe('webhook URL policy: syntax and literal hosts', () => {
  const refused: [string, RegExp][] = [
    ['ftp://x', /scheme 'ftp' is not allowed/],
    ['file:///etc/passwd', /http or https/],
    ['not a url', /valid absolute URL/],
    ['http://user:pw@example.com/', /credentials/],
    ['http://user@example.com/', /credentials/],
    ['http://127.0.0.1/', /loopback/],
    ['http://127.9.9.9:8080/x', /loopback/],
    ['http://2130706433/', /loopback/], // decimal form of 127.0.0.1
    ['http://0x7f.1/', /loopback/],
    ['http://[::1]/', /loopback/],
    ['http://localhost:3000/', /loopback/],
    ['http://LOCALHOST./', /loopback/],
    ['http://api.localhost/', /loopback/],
    ['http://10.0.0.8/', /private/],
    ['http://172.16.0.1/', /private/],
    ['http://172.31.255.255/', /private/],
    ['http://192.168.1.1/', /private/],
    ['http://[fc00::1]/', /private/],
    ['http://[fd12:3456::1]/', /private/],
    ['http://169.254.169.254/latest/meta-data/', /link-local/],
    ['http://169.254.1.1/', /link-local/],
    ['http://[fe80::1]/', /link-local/],
    ['http://0.0.0.0/', /unspecified/],
    ['http://[::]/', /unspecified/],
    ['http://100.64.0.1/', /carrier-grade NAT/],
    ['http://100.127.255.254/', /carrier-grade NAT/],
    ['http://[::ffff:127.0.0.1]/', /loopback/],
    ['http://[::ffff:10.0.0.1]/', /private/],
    ['http://[::ffff:169.254.169.254]/', /link-local/],
    ['http://[::ffff:0:0]/', /unspecified/],
  ];

  it.each(refused)('refuses %s', async (url, reason) => {
    const sync = checkWebhookUrlSyntax(url, strict);
    expect(sync.ok).toBe(false);
    expect(sync.ok === false && sync.reason).toMatch(reason);
    const full = await checkWebhookUrl(url, { ...strict, lookupAll: fakeDns });
    expect(full.ok).toBe(false);
    expect(full.ok === false && full.reason).toMatch(reason);
  });

  it.each([
    'https://example.com/hook',
    'http://93.184.215.14/x',
    'http://[2606:4700::1111]/',
    'http://172.32.0.1/',
    'http://100.128.0.1/',
  ])('accepts public %s', (url) => {
    expect(checkWebhookUrlSyntax(url, strict)).toEqual({ ok: true });
  });

  it('allowPrivate lets private destinations through but still enforces scheme and credentials', async () => {
    const open = { allowPrivate: true };
    for (const url of [
      'http://127.0.0.1:9999/',
      'http://localhost/',
      'http://[::1]/',
      'http://10.0.0.1/',
      'http://169.254.169.254/',
    ]) {
      expect(checkWebhookUrlSyntax(url, open)).toEqual({ ok: true });
      expect(await checkWebhookUrl(url, open)).toEqual({ ok: true });
    }
    expect(checkWebhookUrlSyntax('ftp://x', open).ok).toBe(false);
    expect(checkWebhookUrlSyntax('http://u:p@127.0.0.1/', open).ok).toBe(false);
  });

  it('does not echo credentials in the reason', () => {
    const res = checkWebhookUrlSyntax('https://alice:hunter2@example.com/', strict);
    expect(res.ok === false && res.reason).not.toMatch(/hunter2|alice/);
  });
});

describe('webhook URL policy: resolved addresses', () => {
  it('refuses localhost via the real resolver', async () => {
    const res = await checkWebhookUrl('http://localhost:8080/hook', strict);
    expect(res).toMatchObject({ ok: false, reason: expect.stringMatching(/loopback/) });
  });

  it('accepts a name resolving only to public addresses', async () => {
    expect(await checkWebhookUrl('https://public.example/hook', { ...strict, lookupAll: fakeDns })).toEqual({
      ok: true,
    });
  });

  it.each([
    ['http://intranet.example/', /resolves to 10\.1\.2\.3, a private/],
    ['http://rebind.example/', /resolves to 127\.0\.0\.1, a loopback/],
    ['http://mapped.example/', /link-local/],
    ['http://v6local.example/', /link-local/],
  ])('refuses %s because of what it resolves to', async (url, reason) => {
    expect(checkWebhookUrlSyntax(url, strict)).toEqual({ ok: true });
    const res = await checkWebhookUrl(url, { ...strict, lookupAll: fakeDns });
    expect(res.ok).toBe(false);
    expect(res.ok === false && res.reason).toMatch(reason);
    expect(res.ok === false && res.transient).toBeFalsy();
  });

  it('marks temporary DNS failures as transient and unknown names as permanent', async () => {
    expect(await checkWebhookUrl('http://flaky.example/', { ...strict, lookupAll: fakeDns })).toMatchObject({
      ok: false,
      transient: true,
    });
    expect(await checkWebhookUrl('http://nowhere.example/', { ...strict, lookupAll: fakeDns })).toMatchObject(
      {
        ok: false,
        transient: false,
        reason: expect.stringMatching(/ENOTFOUND/),
      },
    );
  });
});
