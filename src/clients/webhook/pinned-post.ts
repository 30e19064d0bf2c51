/**
 * One HTTP(S) POST whose connection goes to addresses that were already checked.
 *
 * The URL policy resolves the webhook's host name and checks every address; if the client then
 * resolved the name again to connect, a DNS server answering a public address first and 127.0.0.1
 * second (DNS rebinding) would walk past the check. So the request keeps the URL's host name, which
 * gives the Host header, the TLS SNI and the certificate check, but its `lookup` answers only with
 * the checked addresses and never asks DNS. Node's `http(s).request` takes that `lookup`; the
 * built-in fetch offers no equivalent without the undici package.
 *
 * No redirect is ever followed (node:http does not), which is what the URL policy needs.
 */
import http from 'node:http';
import https from 'node:https';
import type { LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import type { ResolvedAddress } from './url-policy';

export interface PostInput {
  url: string;
  headers: Headers;
  body: string;
  /** Connect only to these (for the URL's host name); absent: resolve as usual. */
  pinned?: ResolvedAddress[];
  signal: AbortSignal;
}

export interface PostResult {
  status: number;
  headers: { get(name: string): string | null };
}

function familyOf(option: number | 'IPv4' | 'IPv6' | undefined): number {
  if (option === 'IPv4') return 4;
  if (option === 'IPv6') return 6;
  return option ?? 0;
}

/**
 * A `lookup` that answers `hostname` with `addresses` and nothing else. Node calls it with
 * `all: true` when it races IPv4 and IPv6 (autoSelectFamily), with one answer wanted otherwise.
 */
export function pinnedLookup(hostname: string, addresses: ResolvedAddress[]): LookupFunction {
  return (name, options, callback) => {
    const family = familyOf(options.family);
    const usable: LookupAddress[] = addresses.filter((a) => family === 0 || a.family === family);
    if (name !== hostname || usable.length === 0) {
      const err: NodeJS.ErrnoException = Object.assign(
        new Error(`no checked address for ${name} (family ${family})`),
        { code: 'ENOTFOUND' },
      );
      callback(err, options.all ? [] : '');
      return;
    }
    if (options.all) callback(null, usable);
    else callback(null, usable[0]!.address, usable[0]!.family);
  };
}

/** URL.hostname keeps an IPv6 literal's brackets; the socket wants the bare address. */
function connectHost(u: URL): string {
  return u.hostname.replace(/^\[(.*)\]$/, '$1');
}

export function postPinned(input: PostInput): Promise<PostResult> {
  const u = new URL(input.url);
  const transport = u.protocol === 'https:' ? https : http;
  const host = connectHost(u);
  const headers = Object.fromEntries(input.headers.entries());
  headers['content-length'] = String(Buffer.byteLength(input.body));
  return new Promise<PostResult>((resolve, reject) => {
    const req = transport.request(
      {
        protocol: u.protocol,
        hostname: host,
        port: u.port || undefined,
        path: `${u.pathname}${u.search}`,
        method: 'POST',
        headers,
        signal: input.signal,
        // A fresh connection per webhook: a pooled socket would skip this request's lookup.
        agent: false,
        ...(input.pinned ? { lookup: pinnedLookup(host, input.pinned) } : {}),
      },
      (res) => {
        // The body is not used (never read into errors: a receiver may echo our headers). The
        // socket is not reused either, so close it now: a receiver stalling its body holds nothing.
        res.destroy();
        resolve({
          status: res.statusCode ?? 0,
          headers: {
            get(name) {
              const v = res.headers[name.toLowerCase()];
              return Array.isArray(v) ? v.join(', ') : (v ?? null);
            },
          },
        });
      },
    );
    req.on('error', reject);
    req.end(input.body);
  });
}
