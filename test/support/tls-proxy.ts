/**
 * A secured Temporal for tests: a TLS-terminating proxy in front of the plaintext dev server that
 * demands a client certificate signed by its own CA, as an mTLS cluster or Temporal Cloud does.
 * Certificates are made fresh per run with the `openssl` CLI. gRPC is HTTP/2, so the proxy offers
 * only `h2` over ALPN and pipes the decrypted bytes to the dev server's port unchanged.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';

export interface TestPki {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A client certificate from a CA the proxy does not trust. */
  strangerCert: string;
  strangerKey: string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A fresh unencrypted P-256 key for `openssl req`. */
const NEW_EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** One CA, a server certificate for localhost/127.0.0.1, a client certificate, and a stranger's. */
export function makeTestPki(): TestPki {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clasper-pki-'));
  const selfSigned = (name: string, subject: string) =>
    openssl(dir, [
      'req',
      '-x509',
      ...NEW_EC_KEY,
      '-days',
      '2',
      '-subj',
      subject,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.pem`,
    ]);
  const signed = (name: string, subject: string, ca: string, ext: string) => {
    openssl(dir, ['req', ...NEW_EC_KEY, '-subj', subject, '-keyout', `${name}.key`, '-out', `${name}.csr`]);
    fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
    openssl(dir, [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${ca}.pem`,
      '-CAkey',
      `${ca}.key`,
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.pem`,
    ]);
  };
  selfSigned('ca', '/CN=clasper-test-ca');
  selfSigned('stranger-ca', '/CN=someone-else-ca');
  signed(
    'server',
    '/CN=localhost',
    'ca',
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n',
  );
  signed('client', '/CN=clasper-worker', 'ca', 'extendedKeyUsage=clientAuth\n');
  signed('stranger', '/CN=clasper-worker', 'stranger-ca', 'extendedKeyUsage=clientAuth\n');
  const p = (f: string) => path.join(dir, f);
  return {
    dir,
    caCert: p('ca.pem'),
    serverCert: p('server.pem'),
    serverKey: p('server.key'),
    clientCert: p('client.pem'),
    clientKey: p('client.key'),
    strangerCert: p('stranger.pem'),
    strangerKey: p('stranger.key'),
  };
}

export interface TlsProxy {
  /** `localhost:<port>`: the name the server certificate carries. */
  address: string;
  /** Handshakes refused for want of a trusted client certificate. */
  rejected(): number;
  close(): Promise<void>;
}

export async function startTlsProxy(pki: TestPki, upstream: string): Promise<TlsProxy> {
  const [upHost, upPort] = [upstream.slice(0, upstream.lastIndexOf(':')), upstream.split(':').pop()];
  let rejected = 0;
  const sockets = new Set<net.Socket>();
  const server = tls.createServer(
    {
      key: fs.readFileSync(pki.serverKey),
      cert: fs.readFileSync(pki.serverCert),
      ca: fs.readFileSync(pki.caCert),
      requestCert: true,
      rejectUnauthorized: true,
      ALPNProtocols: ['h2'],
    },
    (client) => {
      const up = net.connect(Number(upPort), upHost === 'localhost' ? '127.0.0.1' : upHost);
      sockets.add(client).add(up);
      const drop = () => {
        client.destroy();
        up.destroy();
      };
      client.on('error', drop).on('close', drop);
      up.on('error', drop).on('close', drop);
      client.pipe(up).pipe(client);
    },
  );
  server.on('tlsClientError', () => {
    rejected += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    address: `localhost:${port}`,
    rejected: () => rejected,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
