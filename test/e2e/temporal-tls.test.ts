/**
 * A secured cluster for real: the built worker and API reach Temporal only through a TLS proxy
 * that demands a client certificate from our own test CA (as mTLS clusters and Temporal Cloud do).
 * With the certificate a turn completes over HTTP; without it, or with a stranger's, both
 * processes exit non-zero with one clear line, within seconds.
 */
import { sendBody } from '../support/stack';
import { postJson } from '../support/sse';
import { makeTestPki, startTlsProxy, type TestPki, type TlsProxy } from '../support/tls-proxy';
import {
  ensureBuilt,
  spawnClasper,
  startApiProcess,
  startWorkerProcess,
  WORKER_START_TIMEOUT_MS,
  type ClasperProcess,
} from '../support/worker-process';
import { useStack } from './helpers';

const ANSWER = 'Connected through mutual TLS.';

describe('Temporal over mutual TLS', () => {
  const stack = useStack({ worker: false });
  let pki: TestPki;
  let proxy: TlsProxy;
  const procs: ClasperProcess[] = [];

  beforeAll(async () => {
    ensureBuilt();
    pki = makeTestPki();
    proxy = await startTlsProxy(pki, process.env.CLASPER_TEST_TEMPORAL_ADDRESS ?? '');
  }, 300_000);

  afterAll(async () => {
    for (const p of procs) await p.stop('SIGTERM');
    await proxy?.close();
  }, 60_000);

  const tlsEnv = (cert?: string, key?: string): Record<string, string> => ({
    TEMPORAL_ADDRESS: proxy.address,
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: pki.caCert,
    ...(cert && key ? { TEMPORAL_TLS_CLIENT_CERT_PATH: cert, TEMPORAL_TLS_CLIENT_KEY_PATH: key } : {}),
  });

  it(
    'with the client certificate, the worker and the API connect and a turn completes',
    async () => {
      const env = tlsEnv(pki.clientCert, pki.clientKey);
      const worker = await startWorkerProcess(stack(), { built: true, env });
      procs.push(worker);
      expect(worker.output()).toMatch(
        /on localhost:\d+ \(namespace 'default', TLS with client certificate\)/,
      );
      const api = await startApiProcess(stack(), { built: true, env });
      procs.push(api);

      stack().llm.script({ text: ANSWER });
      const res = await postJson(
        `${api.url}/api/agents/send`,
        sendBody({ user_id: 'tls', session_key: 'user:tls:lead' }),
      );
      expect({ status: res.status, body: await res.json() }).toMatchObject({
        status: 200,
        body: { status: 'ok', response: ANSWER },
      });
      const data = await stack().backend.inspect('tls');
      expect(data.messages.map((m) => m.content)).toEqual([ANSWER]);
    },
    WORKER_START_TIMEOUT_MS * 2,
  );

  async function expectRefused(which: 'worker' | 'api', env: Record<string, string>): Promise<void> {
    const started = Date.now();
    const before = proxy.rejected();
    const proc = spawnClasper(stack(), which, { built: true, env });
    procs.push(proc);
    const { code } = await proc.exited;
    expect(code).toBe(1);
    expect(Date.now() - started).toBeLessThan(20_000);
    const lines = proc.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^clasper ${which} failed.*could not connect to Temporal at ${proxy.address} .*TLS.*TEMPORAL_TLS_`,
      ),
    );
    // Refused by the proxy's handshake, not by a misconfiguration on our side.
    expect(proxy.rejected()).toBeGreaterThan(before);
  }

  it('without a client certificate, the worker and the API exit with one clear line', async () => {
    await Promise.all([expectRefused('worker', tlsEnv()), expectRefused('api', tlsEnv())]);
  }, 60_000);

  it('with a certificate from another CA, both exit the same way', async () => {
    const env = tlsEnv(pki.strangerCert, pki.strangerKey);
    await Promise.all([expectRefused('worker', env), expectRefused('api', env)]);
  }, 60_000);

  it('a key without its certificate is a configuration error before any connect', async () => {
    const proc = spawnClasper(stack(), 'worker', {
      built: true,
      env: { ...tlsEnv(), TEMPORAL_TLS_CLIENT_KEY_PATH: pki.clientKey },
    });
    procs.push(proc);
    expect((await proc.exited).code).toBe(1);
    expect(proc.output()).toBe(
      'Invalid configuration:\n' +
        '  TEMPORAL_TLS_CLIENT_KEY_* is set without a client certificate: set TEMPORAL_TLS_CLIENT_CERT_PATH too\n',
    );
  }, 30_000);
});
