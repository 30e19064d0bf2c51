/** GET /health on the real system: deep checks of Temporal, the workers and the backend; no leaks. */
import { REPO_ROOT } from '../../scripts/lib/temporal-dev-server';
import {
  startStack,
  TEST_INTERNAL_TOKEN,
  TEST_JWT_SECRET,
  TEST_OPENAI_KEY,
  type Stack,
} from '../support/stack';
import { eventually } from '../support/api-app';

const DAEMON_KEY = 'health-test-daemon-key-abcdef';

describe('GET /health', () => {
  describe('with no worker polling the task queue', () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack({
        worker: false,
        env: { AGENT_DAEMON_API_KEY: DAEMON_KEY, CLASPER_HEALTH_CACHE_SEC: '0' },
      });
    });
    afterAll(async () => {
      await stack?.stop();
    });

    it('is ok and checks nothing without deep', async () => {
      const res = await stack.api.inject({ method: 'GET', url: '/health' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        status: 'ok',
        temporal: { status: 'unchecked' },
        worker: { status: 'unchecked' },
        workflow_tasks: { status: 'unchecked' },
        backend: { status: 'unchecked' },
        dispatch: { status: 'unchecked' },
      });
    });

    it('deep: degraded, saying no worker polls the queue, while Temporal and the backend are fine', async () => {
      const res = await stack.api.inject({
        method: 'GET',
        url: '/health?deep=true',
        headers: { 'x-agent-daemon-key': DAEMON_KEY },
      });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.status).toBe('degraded');
      expect(body.temporal).toEqual({ status: 'ok' });
      expect(body.worker).toEqual({
        status: 'error',
        pollers: 0,
        error: expect.stringContaining(`no worker is polling task queue '${stack.taskQueue}'`),
      });
      expect(body.backend).toEqual({
        status: 'ok',
        contract_version: 'v1',
        features: expect.objectContaining({ tasks: true, messages: true, documents: true }),
      });
    });

    it('deep: names the backend problem when the backend is down', async () => {
      await stack.backend.app.close();
      const body = (
        await stack.api.inject({
          method: 'GET',
          url: '/health?deep=true',
          headers: { 'x-agent-daemon-key': DAEMON_KEY },
        })
      ).json();
      expect(body.status).toBe('degraded');
      expect(body.backend).toEqual({
        status: 'error',
        error: expect.stringMatching(/^backend \/health not reachable/),
      });
    });
  });

  describe('with a worker', () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack({ env: { AGENT_DAEMON_API_KEY: DAEMON_KEY } });
    });
    afterAll(async () => {
      await stack?.stop();
    });

    it('deep: ok once the worker polls, with the number of pollers', async () => {
      const body = await eventually(
        async () => {
          const b = (
            await stack.api.inject({
              method: 'GET',
              url: '/health?deep=true',
              headers: { 'x-agent-daemon-key': DAEMON_KEY },
            })
          ).json();
          return b.worker.status === 'ok' ? b : undefined;
        },
        15_000,
        'worker seen polling',
      );
      expect(body).toEqual({
        status: 'ok',
        temporal: { status: 'ok' },
        worker: { status: 'ok', pollers: 1 },
        workflow_tasks: { status: 'ok', failing: 0 },
        backend: { status: 'ok', contract_version: 'v1', features: expect.any(Object) },
        // The shared dev server's clasper-dispatcher belongs to whichever test file touched it last;
        // its lag is covered by the dispatcher-window test.
        dispatch: expect.objectContaining({ status: expect.stringMatching(/^(unchecked|ok)$/) }),
        dispatcher: expect.objectContaining({ state: expect.any(String) }),
      });
    });

    it('shows no secret, key, path or URL, shallow or deep, healthy or not', async () => {
      const secrets = [
        TEST_JWT_SECRET,
        TEST_INTERNAL_TOKEN,
        TEST_OPENAI_KEY,
        DAEMON_KEY,
        REPO_ROOT,
        stack.config.agent.workspace,
        stack.backend.url,
        stack.llm.url,
      ];
      const bodies = [
        (await stack.api.inject({ method: 'GET', url: '/health' })).body,
        (
          await stack.api.inject({
            method: 'GET',
            url: '/health?deep=true',
            headers: { 'x-agent-daemon-key': DAEMON_KEY },
          })
        ).body,
      ];
      await stack.backend.app.close(); // failure messages must not leak either
      bodies.push(
        (
          await stack.api.inject({
            method: 'GET',
            url: '/health?deep=true',
            headers: { 'x-agent-daemon-key': DAEMON_KEY },
          })
        ).body,
      );
      for (const body of bodies) {
        for (const secret of secrets)
          expect({ body, leaks: body.includes(secret) }).toEqual({ body, leaks: false });
        expect(body).not.toMatch(/AGENT_JWT_SECRET|OPENAI_API_KEY|sk-|\/work\/|\/tmp\//);
      }
    });
  });

  describe('deep answers are reused for CLASPER_HEALTH_CACHE_SEC', () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack({
        worker: false,
        env: { AGENT_DAEMON_API_KEY: DAEMON_KEY, CLASPER_HEALTH_CACHE_SEC: '30' },
      });
    });
    afterAll(async () => {
      await stack?.stop();
    });

    it('a second probe within the window gets the same answer without checking again', async () => {
      const deep = () =>
        stack.api.inject({
          method: 'GET',
          url: '/health?deep=true',
          headers: { 'x-agent-daemon-key': DAEMON_KEY },
        });
      const first = (await deep()).json();
      expect(first.backend.status).toBe('ok');
      await stack.backend.app.close();
      // The backend is gone, but within 30 s nothing is asked again.
      expect((await deep()).json()).toEqual(first);
    });
  });
});
