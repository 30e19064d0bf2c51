/**
 * The production artefacts start and work: the compiled worker and API (`node dist/src/worker/main.js`,
 * `node dist/src/api/main.js`, what the image runs; `make test` builds them before jest) against the
 * test Temporal server, the reference backend and the fake model, and one turn over HTTP. Nothing
 * the build emits may reach test code, which the image does not carry. The worker's and the API's
 * Prometheus endpoints after that turn carry the metrics (and labels) deploy/'s dashboard and alerts use.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../scripts/lib/temporal-dev-server';
import { sendBody, TEST_JWT_SECRET } from '../support/stack';
import { postJson } from '../support/sse';
import { startOtlpCollector } from '../support/otlp-collector';
import {
  ensureBuilt,
  startApiProcess,
  startWorkerProcess,
  WORKER_START_TIMEOUT_MS,
  type ClasperProcess,
} from '../support/worker-process';
import { freePort } from '../../scripts/lib/temporal-dev-server';
import { deploySelectors } from '../support/deploy-observability';
import { eventually, useStack } from './helpers';

/** deploy/ metrics one successful turn does not produce: failures, unpriced models, dispatch. */
const NOT_FROM_ONE_GOOD_TURN = new Set([
  'temporal_workflow_failed',
  'temporal_activity_execution_failed',
  'temporal_workflow_task_execution_failed',
  'clasper_model_unpriced_calls',
  'clasper_dispatch_polls',
  'clasper_dispatch_deliveries',
  'clasper_dispatch_oldest_undelivered_age_seconds',
  'clasper_dispatch_last_poll_timestamp_seconds',
]);

/** Metric name → the label names its samples carry, from a Prometheus text exposition. */
function exposition(text: string): Map<string, Set<string>> {
  const found = new Map<string, Set<string>>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? /.exec(line);
    if (!m) continue;
    const labels = found.get(m[1] as string) ?? new Set<string>();
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)) labels.add(l[1] as string);
    found.set(m[1] as string, labels);
  }
  return found;
}

const ANSWER = 'Answered by the compiled worker.';

/** Every `require("…")` of a relative path in the emitted JavaScript, resolved against its file. */
function relativeRequires(dir: string): { from: string; to: string }[] {
  const found: { from: string; to: string }[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.js')) continue;
    const file = path.join(entry.parentPath, entry.name);
    for (const m of fs.readFileSync(file, 'utf8').matchAll(/require\("(\.{1,2}\/[^"]+)"\)/g))
      found.push({
        from: path.relative(REPO_ROOT, file),
        to: path.relative(REPO_ROOT, path.resolve(path.dirname(file), m[1] as string)),
      });
  }
  return found;
}

describe('the built entry points', () => {
  const stack = useStack({ worker: false });
  const procs: ClasperProcess[] = [];

  beforeAll(() => ensureBuilt(), 300_000);
  afterAll(async () => {
    for (const p of procs) await p.stop('SIGTERM');
  }, 60_000);

  it('nothing under dist/ imports test code, and every relative import resolves inside dist/', () => {
    const requires = relativeRequires(path.join(REPO_ROOT, 'dist'));
    expect(requires.length).toBeGreaterThan(100);
    const outside = requires.filter(
      ({ to }) => !to.startsWith('dist/') || to.startsWith('dist/test/') || /\.test$|test-helpers/.test(to),
    );
    expect(outside).toEqual([]);
    expect(fs.existsSync(path.join(REPO_ROOT, 'dist/test'))).toBe(false);
  });

  it(
    'the compiled worker and API complete a turn over HTTP, traced across both processes, its metrics scraped',
    async () => {
      // Traced, as production would run them: the spans of both processes must form one trace.
      const collector = await startOtlpCollector();
      const env = { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' };
      try {
        const metricsPort = await freePort();
        const worker = await startWorkerProcess(stack(), {
          built: true,
          env: { ...env, CLASPER_WORKER_METRICS_PORT: String(metricsPort) },
        });
        procs.push(worker);
        const api = await startApiProcess(stack(), { built: true, env });
        procs.push(api);
        stack().llm.script(
          { toolCalls: [{ name: 'list_tasks', arguments: { limit: 1 } }] },
          { text: ANSWER },
        );
        const res = await postJson(
          `${api.url}/api/agents/send`,
          sendBody({ user_id: 'built', session_key: 'user:built:lead' }),
        );
        expect({ status: res.status, body: await res.json() }).toMatchObject({
          status: 200,
          body: { status: 'ok', response: ANSWER, posted: true },
        });
        expect((await stack().backend.inspect('built')).messages.map((m) => m.content)).toEqual([ANSWER]);

        const traceId = String(res.headers.get('traceparent')).split('-')[1];
        const served = await eventually(async () => {
          const spans = collector.spans().filter((s) => s.traceId === traceId);
          const services = new Map(spans.map((s) => [s.name, s.service]));
          return services.has('POST /api/agents/send') && services.has('chat gpt-4o-mini')
            ? services
            : undefined;
        }, 15_000);
        expect(Object.fromEntries(served)).toMatchObject({
          'POST /api/agents/send': 'clasper-api',
          'UpdateWithStartWorkflow:submitTurn': 'clasper-api',
          'StartChildWorkflow:agentTurn': 'clasper-worker',
          'RunWorkflow:agentTurn': 'clasper-worker',
          'RunActivity:callModel': 'clasper-worker',
          'chat gpt-4o-mini': 'clasper-worker',
        });

        const scraped = exposition(
          (await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text()) +
            (await (await fetch(`${api.url}/metrics`)).text()),
        );
        const missing = deploySelectors()
          .filter((s) => !NOT_FROM_ONE_GOOD_TURN.has(s.metric))
          .flatMap((s) => {
            const labels = scraped.get(s.metric);
            if (!labels) return [`${s.where}: ${s.metric} not exported`];
            return s.labels
              .filter((l) => !labels.has(l))
              .map((l) => `${s.where}: ${s.metric} has no label ${l}`);
          });
        expect(missing).toEqual([]);
      } finally {
        await collector.close();
      }
    },
    WORKER_START_TIMEOUT_MS * 2,
  );

  it('the CLI in bin/ runs the compiled code (what the image carries)', () => {
    const out = execFileSync(
      process.execPath,
      ['bin/clasper.js', 'workspace', 'check', '--dir', 'workspace'],
      {
        cwd: REPO_ROOT,
        env: { PATH: process.env.PATH ?? '', AGENT_JWT_SECRET: TEST_JWT_SECRET },
        encoding: 'utf8',
      },
    );
    expect(out).toMatch(/^workspace OK$/m);
  });
});
