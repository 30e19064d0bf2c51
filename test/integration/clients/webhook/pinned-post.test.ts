/**
 * The connection goes to the address the URL policy checked, over real sockets.
 *
 * `.invalid` names never resolve (RFC 6761), so a request to one that reaches our local server can
 * only have used the pinned address. The rebinding test uses this machine's own host name, which
 * its resolver maps to a local address: a client that resolved again when connecting, through the
 * injected resolver or the system's, would reach the local server; the control test shows it does.
 */
import { type AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import tls from 'node:tls';
import { postPinned, type PostInput } from '../../../../src/clients/webhook/pinned-post';
import { createWebhookClient } from '../../../../src/clients/webhook/send-webhook';
import type { LookupAll, ResolvedAddress } from '../../../../src/clients/webhook/url-policy';
import { startReceiver, type Receiver } from './receiver';

interface Received {
  url: string;
  host: string | undefined;
  body: string;
}

let receiver: Receiver;
let port: number;
const received: Received[] = [];

beforeAll(async () => {
  // Every local address, IPv4 and IPv6: wherever a re-resolved name would lead on this machine.
  receiver = await startReceiver(
    (req, body, res) => {
      received.push({ url: req.url ?? '', host: req.headers.host, body });
      res.writeHead(200).end('ok');
    },
    { port: 0, host: '::', ipv6Only: false },
  );
  port = receiver.port;
});

afterAll(() => receiver.close());

beforeEach(() => {
  received.length = 0;
});

const loopback: ResolvedAddress[] = [{ address: '127.0.0.1', family: 4 }];
const post = (url: string, pinned?: ResolvedAddress[]) =>
  postPinned({
    url,
    headers: new Headers({ 'content-type': 'application/json' }),
    body: '{"event":"agent.completed"}',
    pinned,
    signal: AbortSignal.timeout(5_000),
  });

describe('postPinned', () => {
  it('connects to the pinned address and keeps the URL host in the Host header', async () => {
    const res = await post(`http://hooks.pinned.invalid:${port}/hook?token=t`, loopback);
    expect(res.status).toBe(200);
    expect(received).toEqual([
      { url: '/hook?token=t', host: `hooks.pinned.invalid:${port}`, body: '{"event":"agent.completed"}' },
    ]);
  });

  it('without a pin, resolves nothing for an IP literal', async () => {
    expect((await post(`http://127.0.0.1:${port}/x`)).status).toBe(200);
    expect(received).toHaveLength(1);
  });

  it('fails rather than resolve the name itself when no checked address fits', async () => {
    // This machine's own name resolves to a local address here; the pin must not fall back to it.
    await expect(post(`http://${hostname()}:${port}/x`, [])).rejects.toMatchObject({
      code: 'ENOTFOUND',
    });
    expect(received).toHaveLength(0);
  });

  it('sends the URL host as TLS SNI while connecting to the pinned address', async () => {
    const names: string[] = [];
    // No certificate: the handshake stops after the ClientHello, which is where SNI travels.
    const tlsServer = tls.createServer({
      SNICallback: (name, cb) => {
        names.push(name);
        cb(new Error('no certificate in this test'));
      },
    });
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
    const tlsPort = (tlsServer.address() as AddressInfo).port;
    try {
      await expect(post(`https://hooks.pinned.invalid:${tlsPort}/x`, loopback)).rejects.toBeDefined();
      expect(names).toEqual(['hooks.pinned.invalid']);
    } finally {
      await new Promise<void>((resolve) => tlsServer.close(() => resolve()));
    }
  });
});

describe('sendWebhook against DNS rebinding', () => {
  const url = () => `http://${hostname()}:${port}/hook`;
  const payload = { event: 'agent.completed', turn_id: 'agent-turn/u1/rebind' };

  it("control: this machine's host name reaches the local server when nothing is checked", async () => {
    const open = createWebhookClient({ allowPrivate: true });
    await expect(open.sendWebhook({ url: url(), payload })).resolves.toEqual({ status: 200 });
    expect(received).toHaveLength(1);
  });

  it('connects to the address that was checked, not to what the name resolves to next', async () => {
    // A rebinding DNS server: a public address for the check, loopback for every later question.
    const publicAddress = { address: '93.184.215.14', family: 4 };
    let questions = 0;
    const lookupAll: LookupAll = async () => {
      questions += 1;
      return questions === 1 ? [publicAddress] : loopback;
    };
    const pinnedTo: (ResolvedAddress[] | undefined)[] = [];
    const client = createWebhookClient({
      allowPrivate: false,
      lookupAll,
      timeoutMs: 1_500,
      post: (input: PostInput) => {
        pinnedTo.push(input.pinned);
        return postPinned(input);
      },
    });
    // Whatever answers at the public address (nothing, or a network's proxy) decides the outcome;
    // the point is where the connection went.
    await client.sendWebhook({ url: url(), payload }).catch(() => undefined);
    expect(questions).toBe(1);
    expect(pinnedTo).toEqual([[publicAddress]]);
    expect(received).toHaveLength(0);
  });

  it('refuses outright when the single resolution already points inside', async () => {
    const client = createWebhookClient({ allowPrivate: false, lookupAll: async () => loopback });
    await expect(client.sendWebhook({ url: url(), payload })).rejects.toMatchObject({
      type: 'Webhook.Refused',
    });
    expect(received).toHaveLength(0);
  });
});
