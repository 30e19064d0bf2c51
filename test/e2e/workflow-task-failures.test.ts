/**
 * A turn stuck on a deterministic workflow-task failure, on the real dev server: begun on another
 * build of agentTurn (test/fixtures/workflows/drifted-agent-turn.ts, a bad deploy) and continued
 * by the real worker, every workflow task fails with a non-determinism error. Temporal retries it
 * (a rollback would fix it); while it is stuck, GET /health?deep=true names it with its cause and
 * the worker's metrics count it; at the turn's execution timeout it ends `timed_out`.
 */
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { freePort, REPO_ROOT } from '../../scripts/lib/temporal-dev-server';
import { FAILING_TASKS_METRIC, watchWorkflowTasks } from '../../src/worker/workflow-task-watch';
import { streamTextSignal } from '../../src/shared/stream';
import { sendBody } from '../support/stack';
import { send, useStack } from './helpers';

let metricsPort = 0;
let driftedBundle = '';

beforeAll(async () => {
  metricsPort = await freePort();
  // Before the stack's worker exists, so the runtime serves Prometheus as the worker process's does.
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: {
      logging: { filter: { core: 'ERROR', other: 'ERROR' } },
      metrics: { prometheus: { bindAddress: `127.0.0.1:${metricsPort}` } },
    },
  });
  ({ code: driftedBundle } = await bundleWorkflowCode({
    workflowsPath: path.join(REPO_ROOT, 'test/fixtures/workflows/drifted-agent-turn.ts'),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} },
  }));
});

// Deadline of a turn: 25 s of work + 1 step × 5 s of approval wait = 30 s.
const stack = useStack({
  worker: false,
  env: {
    CLASPER_TURN_TIMEOUT_SEC: '25',
    CLASPER_APPROVAL_TIMEOUT_SEC: '5',
    CLASPER_MAX_TOOL_ITERATIONS: '1',
    CLASPER_HEALTH_CACHE_SEC: '0',
    // The drifted build hosts agentTurn alone: the send starts the turn itself, not a session.
    CLASPER_SESSIONS: 'false',
  },
});

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function deepHealth() {
  return (await stack().api.inject({ method: 'GET', url: '/health?deep=true' })).json();
}

async function metrics(): Promise<string> {
  return (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
}

function metricValue(text: string, name: string, labels: Record<string, string>): number | undefined {
  const line = text
    .split('\n')
    .find(
      (l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)),
    );
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : undefined;
}

/** Our gauge for non-determinism errors reads `n` within a few refreshes. */
function gaugeReaches(n: number): Promise<true> {
  return until(
    `${FAILING_TASKS_METRIC}{cause="NonDeterministicError"} to read ${n}`,
    async () =>
      metricValue(await metrics(), FAILING_TASKS_METRIC, { cause: 'NonDeterministicError' }) === n
        ? true
        : undefined,
    5_000,
  );
}

describe('a turn stuck on a deterministic workflow-task failure', () => {
  it('shows in health and the metrics while stuck, and ends at its execution timeout', async () => {
    const s = stack();
    const connection = await NativeConnection.connect({ address: s.config.temporal.address });
    const drifted = await Worker.create({
      connection,
      taskQueue: s.taskQueue,
      workflowBundle: { code: driftedBundle },
    });
    const driftedRun = drifted.run();
    const started = Date.now();
    const res = await send(s, sendBody({ user_id: 'stuck', session_key: 'user:stuck:lead' }), {
      query: 'wait=false',
    });
    expect(res.statusCode).toBe(202);
    const turnId: string = res.json().turn_id;
    const handle = s.client.workflow.getHandle(turnId);
    await until(
      'the drifted build to start its timer',
      async () =>
        (await handle.fetchHistory()).events?.some((e) => e.timerStartedEventAttributes) || undefined,
      10_000,
    );
    drifted.shutdown();
    await driftedRun;
    await connection.close();

    // The real build takes over: the next event (a streamed batch from the model activity, say)
    // makes a workflow task, and replaying the history it finds a timer where it records a marker.
    const real = s.worker.run();
    await handle.signal(streamTextSignal, { step: 1, source: 'model:1#1', batch: 1, text: 'Hel' });
    const watch = watchWorkflowTasks({
      client: s.client,
      taskQueue: s.taskQueue,
      meter: Runtime.instance().metricMeter,
      intervalMs: 500,
    });
    try {
      const health = await until(
        'health to name the stuck turn',
        async () => {
          const h = await deepHealth();
          return h.workflow_tasks.status === 'error' ? h : undefined;
        },
        20_000,
      );
      expect(health.status).toBe('degraded');
      expect(health.workflow_tasks).toEqual({
        status: 'error',
        failing: 1,
        by_cause: { NonDeterministicError: 1 },
        workflows: [{ workflow_id: turnId, workflow_type: 'agentTurn', cause: 'NonDeterministicError' }],
        error: expect.stringContaining(
          `1 workflow(s) on task queue '${s.taskQueue}' have workflow tasks failing`,
        ),
      });
      expect((await s.client.workflow.getHandle(turnId).describe()).status.name).toBe('RUNNING');

      // The worker's view: our gauge from the server's flag, and Temporal's own failure counter.
      await gaugeReaches(1);
      expect(
        metricValue(await metrics(), 'temporal_workflow_task_execution_failed', {
          failure_reason: 'NonDeterminismError',
          task_queue: s.taskQueue,
          workflow_type: 'agentTurn',
        }),
      ).toBeGreaterThanOrEqual(2);

      // Nothing ends it but its deadline (30 s after the start): then Temporal closes it.
      const status = await until(
        'the turn to time out',
        async () => {
          const r = await s.api.inject({
            method: 'GET',
            url: `/api/agents/turns/${encodeURIComponent(turnId)}`,
          });
          const body = r.json();
          return body.status === 'running' ? undefined : body;
        },
        40_000,
      );
      expect(status).toEqual({
        turn_id: turnId,
        status: 'timed_out',
        error:
          'the turn did not finish within its execution timeout of 30 s; ' +
          'its workflow tasks were failing on every attempt (NonDeterministicError)',
      });
      expect(Date.now() - started).toBeGreaterThanOrEqual(29_000);
      expect((await deepHealth()).workflow_tasks).toEqual({ status: 'ok', failing: 0 });
      await gaugeReaches(0);
    } finally {
      watch.stop();
      s.worker.shutdown();
      await real;
    }
  }, 90_000);
});
