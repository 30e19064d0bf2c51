import { networkInterfaces } from 'node:os';
import {
  checkWebhookUrl,
  checkWebhookUrlSyntax,
  refusedAddressReason,
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
    'scoped.example': ['fe80::1%eth0'],
    'nat64.example': ['64:ff9b::a9fe:a9fe'],
    'sixtofour.example': ['93.184.215.14', '2002:7f00:1::1'],
    'testnet.example': ['192.0.2.2'],
    'bench.example': ['198.19.0.1'],
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
    // Special-purpose IPv4 ranges (IANA registry) that are not "private" but are not the internet.
    ['http://192.0.0.1/', /IETF protocol assignment/],
    ['http://192.0.0.170/', /IETF protocol assignment/], // NAT64 prefix discovery
    ['http://192.0.2.2/', /documentation/],
    ['http://198.51.100.7/', /documentation/],
    ['http://203.0.113.255/', /documentation/],
    ['http://[2001:db8::1]/', /documentation/],
    ['http://198.18.0.1/', /benchmarking/],
    ['http://198.19.255.255/', /benchmarking/],
    // IPv6 spellings of loopback: the URL parser and BlockList both normalise them.
    ['http://[0:0:0:0:0:0:0:1]/', /loopback/],
    ['http://[0000::0001]/', /loopback/],
    ['http://[::ffff:7f00:1]/', /loopback/], // mapped, hex spelling
    ['http://[::ffff:127.0.0.1]:8080/', /loopback/],
    // Forms that embed an IPv4 address a gateway forwards to.
    ['http://[64:ff9b::7f00:1]/', /NAT64/], // 127.0.0.1 behind NAT64
    ['http://[64:ff9b::169.254.169.254]/', /NAT64/],
    ['http://[64:ff9b::5db8:d70e]/', /NAT64/], // even a public one: the gateway's reach is not ours to trust
    ['http://[64:ff9b:1::a00:1]/', /NAT64/], // local-use prefix (RFC 8215)
    ['http://[2002:7f00:1::]/', /6to4/],
    ['http://[2002:a9fe:a9fe::1]/', /6to4/],
    ['http://192.88.99.1/', /6to4/], // 6to4 relay anycast
    ['http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/', /Teredo/],
    ['http://[::7f00:1]/', /reserved/], // IPv4-compatible (deprecated) spelling of 127.0.0.1
    ['http://[100::1]/', /reserved/], // discard-only
    // Mapped and translated forms of public IPv4: no receiver needs them, and refusing the whole
    // range closes every spelling at once.
    ['http://[::ffff:93.184.215.14]/', /IPv4-mapped/],
    ['http://[::ffff:5db8:d70e]/', /IPv4-mapped/],
    ['http://[::ffff:0:93.184.215.14]/', /IPv4-translated/],
    ['http://[::ffff:0:7f00:1]/', /IPv4-translated/],
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
    // Just outside each special-purpose range.
    'http://192.0.1.255/',
    'http://192.0.3.0/',
    'http://198.17.255.255/',
    'http://198.20.0.0/',
    'http://198.51.101.1/',
    'http://203.0.114.1/',
    'http://[2003::1]/',
    'http://[64:ff9c::1]/',
    'http://[2001:db9::1]/',
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
      'http://192.0.2.2/',
      'http://[64:ff9b::7f00:1]/',
      'http://[::ffff:93.184.215.14]/',
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
    // The addresses come back so the sender can connect to exactly these (pinned-post.ts).
    expect(await checkWebhookUrl('https://public.example/hook', { ...strict, lookupAll: fakeDns })).toEqual({
      ok: true,
      addresses: [
        { address: '93.184.215.14', family: 4 },
        { address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c', family: 6 },
      ],
    });
  });

  it.each([
    ['http://intranet.example/', /resolves to 10\.1\.2\.3, a private/],
    ['http://rebind.example/', /resolves to 127\.0\.0\.1, a loopback/],
    ['http://mapped.example/', /link-local/],
    ['http://v6local.example/', /link-local/],
    ['http://scoped.example/', /resolves to fe80::1%eth0, a link-local/],
    ['http://nat64.example/', /NAT64/],
    ['http://sixtofour.example/', /resolves to 2002:7f00:1::1, an IPv4-embedding/],
    ['http://testnet.example/', /documentation/],
    ['http://bench.example/', /benchmarking/],
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

describe("webhook URL policy: this host's own interfaces", () => {
  // A host whose interface has a public-looking address: only the interface rule can refuse it.
  const host = {
    ...strict,
    interfaceAddresses: () => ['127.0.0.1', '93.184.215.99', '2606:4700::99'],
  };

  it.each([
    'http://93.184.215.99/',
    'http://93.184.215.99:5432/',
    'http://[2606:4700::99]/',
    'http://[2606:4700:0:0:0:0:0:99]/',
  ])('refuses %s, an address of this host', (url) => {
    const res = checkWebhookUrlSyntax(url, host);
    expect(res).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/local interface \(this host's own\)/),
    });
  });

  it('refuses a name that resolves to an address of this host', async () => {
    const lookupAll: LookupAll = async () => [{ address: '93.184.215.99', family: 4 }];
    const res = await checkWebhookUrl('https://looks-public.example/', { ...host, lookupAll });
    expect(res).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/93\.184\.215\.99, a local interface/),
    });
  });

  it('still accepts other public addresses', () => {
    expect(checkWebhookUrlSyntax('http://93.184.215.98/', host)).toEqual({ ok: true });
    expect(checkWebhookUrlSyntax('http://[2606:4700::98]/', host)).toEqual({ ok: true });
  });

  it('allows them with allowPrivate', () => {
    expect(checkWebhookUrlSyntax('http://93.184.215.99/', { ...host, allowPrivate: true })).toEqual({
      ok: true,
    });
  });

  // The real interfaces of the machine running the tests, read the way the policy reads them.
  const own = Object.entries(networkInterfaces()).flatMap(([name, list]) =>
    (list ?? []).map((i) => [name, i.address, i.family] as const),
  );

  it('finds at least one interface address on this machine', () => {
    expect(own.length).toBeGreaterThan(0);
  });

  it.each(own)('refuses %s address %s by default, literal and resolved', async (_name, address, family) => {
    expect(refusedAddressReason(address)).toBeDefined();
    const literal = family === 'IPv6' ? `http://[${address}]/` : `http://${address}/`;
    expect(checkWebhookUrlSyntax(literal, strict).ok).toBe(false);
    const lookupAll: LookupAll = async () => [{ address, family: family === 'IPv6' ? 6 : 4 }];
    expect((await checkWebhookUrl('http://some-name.example/', { ...strict, lookupAll })).ok).toBe(false);
  });
});
