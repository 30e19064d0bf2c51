/**
 * Which webhook URLs we are willing to POST to.
 *
 * The URL comes from the caller, and the worker usually sits inside a private network next to the
 * backend, Temporal and a cloud metadata service. Without a policy a caller could make the worker
 * POST to any of them (SSRF). So, unless CLASPER_WEBHOOK_ALLOW_PRIVATE is set, we refuse any
 * destination that is not a public address: the literal host, and every address a host name
 * resolves to (a public-looking name can point at 127.0.0.1).
 *
 * `checkWebhookUrlSyntax` is synchronous and needs no network: the API runs it at request time to
 * give a fast 400. `checkWebhookUrl` adds the DNS check; the activity runs it right before sending
 * and connects to the addresses it checked.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

/** `transient` marks a failure that may pass on retry (DNS could not answer right now). */
export type UrlRefusal = { ok: false; reason: string; transient?: boolean };

export type UrlCheck = { ok: true } | UrlRefusal;

export interface ResolvedAddress {
  address: string;
  family: number;
}

/**
 * The full check's answer. `addresses`: what the host name resolved to, every one checked; the
 * sender connects to these and resolves nothing itself (see pinned-post.ts). Absent for an IP
 * literal, and when private destinations are allowed (nothing was checked, nothing to pin).
 */
export type DestinationCheck = { ok: true; addresses?: ResolvedAddress[] } | UrlRefusal;

export interface UrlPolicyOptions {
  /** CLASPER_WEBHOOK_ALLOW_PRIVATE: allow loopback, private, link-local … destinations (development, on-prem receivers). */
  allowPrivate: boolean;
  /** For tests: this host's interface addresses; `os.networkInterfaces()` by default. */
  interfaceAddresses?: InterfaceAddresses;
}

export type LookupAll = (hostname: string) => Promise<ResolvedAddress[]>;

const defaultLookupAll: LookupAll = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

interface Range {
  label: string;
  list: BlockList;
  /**
   * Checked for IPv6 input only. BlockList compares IPv4 input with IPv6 rules through its mapped
   * form (`1.2.3.4` as `::ffff:1.2.3.4`), so a rule on the mapped range itself would refuse every
   * IPv4 address.
   */
  ipv6Only?: boolean;
}

function range(label: string, v4: [string, number][], v6: [string, number][], ipv6Only = false): Range {
  const list = new BlockList();
  for (const [net, prefix] of v4) list.addSubnet(net, prefix, 'ipv4');
  for (const [net, prefix] of v6) list.addSubnet(net, prefix, 'ipv6');
  return { label, list, ipv6Only };
}

/**
 * Non-public ranges. Node's BlockList also matches IPv4 rules against IPv4-mapped IPv6 input
 * (`::ffff:127.0.0.1`), so the mapped forms of these get the IPv4 label; any other mapped or
 * translated address is refused by the last entry.
 */
const REFUSED_RANGES: Range[] = [
  range('unspecified', [['0.0.0.0', 8]], [['::', 128]]),
  range('loopback', [['127.0.0.0', 8]], [['::1', 128]]),
  range(
    'private',
    [
      ['10.0.0.0', 8],
      ['172.16.0.0', 12],
      ['192.168.0.0', 16],
    ],
    [['fc00::', 7]],
  ),
  range('link-local (includes cloud metadata 169.254.169.254)', [['169.254.0.0', 16]], [['fe80::', 10]]),
  range('carrier-grade NAT', [['100.64.0.0', 10]], []),
  range('IETF protocol assignment', [['192.0.0.0', 24]], []),
  // Documentation and benchmarking ranges are never a real receiver, but hosts do sit on them
  // (test rigs, lab networks), and then they are that network's private addresses.
  range(
    'documentation (TEST-NET)',
    [
      ['192.0.2.0', 24],
      ['198.51.100.0', 24],
      ['203.0.113.0', 24],
    ],
    [['2001:db8::', 32]],
  ),
  range('benchmarking', [['198.18.0.0', 15]], []),
  // These IPv6 forms carry an IPv4 address that a gateway or relay forwards to: 64:ff9b::7f00:1
  // is 127.0.0.1 behind NAT64, 2002:a9fe:a9fe:: is 169.254.169.254 through 6to4. Checking the
  // embedded address would trust the gateway's reach; refusing the forms is simpler and loses no
  // real receiver.
  range(
    'IPv4-embedding (NAT64, 6to4 or Teredo)',
    [['192.88.99.0', 24]],
    [
      ['64:ff9b::', 96],
      ['64:ff9b:1::', 48],
      ['2002::', 16],
      ['2001::', 32],
    ],
  ),
  // Not reachable over HTTP anyway, but refusing keeps the error clear instead of a confusing timeout.
  range(
    'multicast or reserved',
    [
      ['224.0.0.0', 4],
      ['240.0.0.0', 4],
    ],
    [
      ['ff00::', 8],
      ['::', 96],
      ['100::', 64],
    ],
  ),
  range(
    'IPv4-mapped or IPv4-translated',
    [],
    [
      ['::ffff:0:0', 96],
      ['::ffff:0:0:0', 96],
    ],
    true,
  ),
];

/** `os.networkInterfaces()`, injectable so tests can give the host a public-looking address. */
export type InterfaceAddresses = () => string[];

const hostInterfaceAddresses: InterfaceAddresses = () =>
  Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address));

/**
 * Why an IP literal is refused, or undefined when it is a public address. Besides the ranges, every
 * address of this host's own interfaces is refused: a host on a public or unusual address (e.g.
 * 192.0.2.2 in a lab) answers there for every service bound to 0.0.0.0. Read on each call: interfaces
 * come and go.
 */
export function refusedAddressReason(
  address: string,
  interfaceAddresses: InterfaceAddresses = hostInterfaceAddresses,
): string | undefined {
  const family = isIP(address);
  if (family === 0) return undefined;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const hit = REFUSED_RANGES.find((r) => (!r.ipv6Only || type === 'ipv6') && r.list.check(address, type));
  if (hit) return hit.label;
  const own = new BlockList();
  for (const a of interfaceAddresses()) {
    const f = isIP(a);
    if (f !== 0) own.addAddress(a, f === 4 ? 'ipv4' : 'ipv6');
  }
  return own.check(address, type) ? "local interface (this host's own)" : undefined;
}

/** `localhost` and `*.localhost` always mean this machine (RFC 6761), whatever DNS says. */
function isLocalhostName(hostname: string): boolean {
  const h = hostname.replace(/\.$/, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost');
}

/** URL.hostname keeps the brackets of an IPv6 literal (`[::1]`); node:net wants the bare address. */
function bareHost(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

function parse(url: string): { ok: true; host: string } | { ok: false; reason: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { ok: false, reason: 'it is not a valid absolute URL' };
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    return {
      ok: false,
      reason: `scheme '${u.protocol.replace(/:$/, '')}' is not allowed; use http or https`,
    };
  }
  if (u.username || u.password) {
    return {
      ok: false,
      reason:
        'credentials in the URL are not allowed; send them with webhook.headers or sign with webhook.secret',
    };
  }
  if (!u.hostname) return { ok: false, reason: 'it has no host' };
  return { ok: true, host: bareHost(u.hostname) };
}

function privateRefusal(what: string, label: string): UrlRefusal {
  const article = /^[aeiou]/i.test(label) ? 'an' : 'a';
  return {
    ok: false,
    reason: `${what} ${article} ${label} address; only public destinations are allowed (CLASPER_WEBHOOK_ALLOW_PRIVATE=true allows it)`,
  };
}

/** The check that needs no network: scheme, credentials, and the literal host. */
export function checkWebhookUrlSyntax(url: string, options: UrlPolicyOptions): UrlCheck {
  const parsed = parse(url);
  if (!parsed.ok) return parsed;
  if (options.allowPrivate) return { ok: true };
  if (isLocalhostName(parsed.host)) return privateRefusal(`host ${parsed.host} is`, 'loopback');
  const label = refusedAddressReason(parsed.host, options.interfaceAddresses);
  return label ? privateRefusal(`host ${parsed.host} is`, label) : { ok: true };
}

/**
 * The full check: `checkWebhookUrlSyntax` plus every address the host name resolves to, which it
 * returns so the connection goes to exactly those (a second resolution could answer differently:
 * DNS rebinding).
 * `lookupAll` is injectable for tests; it defaults to node:dns `lookup` with `all: true`, which is
 * what the HTTP client itself uses (hosts file included).
 */
export async function checkWebhookUrl(
  url: string,
  options: UrlPolicyOptions & { lookupAll?: LookupAll },
): Promise<DestinationCheck> {
  const syntax = checkWebhookUrlSyntax(url, options);
  if (!syntax.ok || options.allowPrivate) return syntax;
  const host = (parse(url) as { ok: true; host: string }).host;
  if (isIP(host) !== 0) return syntax;

  let addresses: ResolvedAddress[];
  try {
    addresses = await (options.lookupAll ?? defaultLookupAll)(host);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return {
      ok: false,
      transient: code !== 'ENOTFOUND',
      reason: `host ${host} could not be resolved (${typeof code === 'string' ? code : 'DNS error'})`,
    };
  }
  if (addresses.length === 0)
    return { ok: false, transient: true, reason: `host ${host} resolved to no address` };
  for (const { address } of addresses) {
    const label = refusedAddressReason(address, options.interfaceAddresses);
    if (label) return privateRefusal(`host ${host} resolves to ${address},`, label);
  }
  return { ok: true, addresses };
}
