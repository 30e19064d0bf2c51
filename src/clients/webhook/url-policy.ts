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
 * give a fast 400. `checkWebhookUrl` adds the DNS check; the activity runs it right before sending.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

export type UrlCheck =
  | { ok: true }
  /** `transient` marks a failure that may pass on retry (DNS could not answer right now). */
  | { ok: false; reason: string; transient?: boolean };

export interface UrlPolicyOptions {
  /** CLASPER_WEBHOOK_ALLOW_PRIVATE: allow loopback, private, link-local … destinations (development, on-prem receivers). */
  allowPrivate: boolean;
}

export type LookupAll = (hostname: string) => Promise<{ address: string; family: number }[]>;

const defaultLookupAll: LookupAll = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

interface Range {
  label: string;
  list: BlockList;
}

function range(label: string, v4: [string, number][], v6: [string, number][]): Range {
  const list = new BlockList();
  for (const [net, prefix] of v4) list.addSubnet(net, prefix, 'ipv4');
  for (const [net, prefix] of v6) list.addSubnet(net, prefix, 'ipv6');
  return { label, list };
}

/**
 * Non-public ranges. Node's BlockList also matches IPv4 rules against IPv4-mapped IPv6 input
 * (`::ffff:127.0.0.1`), so the mapped forms are covered by the IPv4 entries.
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
    ],
  ),
];

/** Why an IP literal is refused, or undefined when it is a public address. */
export function refusedAddressReason(address: string): string | undefined {
  const family = isIP(address);
  if (family === 0) return undefined;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  return REFUSED_RANGES.find((r) => r.list.check(address, type))?.label;
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

function privateRefusal(what: string, label: string): UrlCheck {
  return {
    ok: false,
    reason: `${what} a ${label} address; only public destinations are allowed (CLASPER_WEBHOOK_ALLOW_PRIVATE=true allows it)`,
  };
}

/** The check that needs no network: scheme, credentials, and the literal host. */
export function checkWebhookUrlSyntax(url: string, options: UrlPolicyOptions): UrlCheck {
  const parsed = parse(url);
  if (!parsed.ok) return parsed;
  if (options.allowPrivate) return { ok: true };
  if (isLocalhostName(parsed.host)) return privateRefusal(`host ${parsed.host} is`, 'loopback');
  const label = refusedAddressReason(parsed.host);
  return label ? privateRefusal(`host ${parsed.host} is`, label) : { ok: true };
}

/**
 * The full check: `checkWebhookUrlSyntax` plus every address the host name resolves to.
 * `lookupAll` is injectable for tests; it defaults to node:dns `lookup` with `all: true`, which is
 * what the HTTP client itself uses (hosts file included).
 */
export async function checkWebhookUrl(
  url: string,
  options: UrlPolicyOptions & { lookupAll?: LookupAll },
): Promise<UrlCheck> {
  const syntax = checkWebhookUrlSyntax(url, options);
  if (!syntax.ok || options.allowPrivate) return syntax;
  const host = (parse(url) as { ok: true; host: string }).host;
  if (isIP(host) !== 0) return syntax;

  let addresses: { address: string }[];
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
    const label = refusedAddressReason(address);
    if (label) return privateRefusal(`host ${host} resolves to ${address},`, label);
  }
  return { ok: true };
}
