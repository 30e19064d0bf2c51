/**
 * Scenario 2, Temporal restart: a dev server of our own with a SQLite file is stopped and started
 * again (same port, same file) while turns are in flight, `restarts` times. The worker keeps
 * running as its own process; if it gave up while the server was away, it is started again, the
 * way a process supervisor would, and the scenario says so. Clients whose submission failed during
 * an outage retry with the same Idempotency-Key. Every turn must complete, every write once.
 *
 * With `cluster`, the same scenario runs against a running server the caller knows how to break
 * (scripts/cluster/faults.ts: kill -9 one Temporal service, crash PostgreSQL) instead of our own
 * dev server.
 */
import { fetchHistories } from './histories';
import { planFigures, type ScenarioFigures } from './figures';
import { startScenarioStack } from './scenario-stack';
import { planResponder, planTurns } from './turn-plan';

export interface TemporalRestartOptions {
  n: number;
  restarts: number;
  bundlePath: string;
  /** The SQLite file of the dev server we restart (created; left for inspection). */
  dbFilename?: string;
  /** A running server and the outage to inflict on it, instead of a dev server of our own. */
  cluster?: ExternalOutage;
  /** How long the server stays down each time. */
  downMs?: number;
  submitEveryMs?: number;
  settleTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface ExternalOutage {
  temporalAddress: string;
  /** The scenario's name in the figures, e.g. "kill -9 history service". */
  name: string;
  /** What it does, for the notes, e.g. "SIGKILL, 2 s pause, start again". */
  how: string;
  /** Breaks the server, waits `downMs`, and resolves once it is started again. */
  inflict(downMs: number): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runTemporalRestart(opts: TemporalRestartOptions): Promise<ScenarioFigures> {
  const log = opts.log ?? (() => undefined);
  const started = Date.now();
  const { cluster } = opts;
  const stack = await startScenarioStack({
    bundlePath: opts.bundlePath,
    dbFilename: opts.dbFilename,
    temporalAddress: cluster?.temporalAddress,
  });
  try {
    // Slow-ish model answers keep turns in flight across each outage.
    let i = 0;
    stack.llm.respond(planResponder(() => 300 + ((i++ * 37) % 400)));
    const turns = planTurns(`t${started % 1_000_000}`, opts.n);
    let resubmits = 0;
    const submitting = (async () => {
      for (const turn of turns) {
        // A client that got an error (the API could not reach Temporal) retries with the same key.
        for (;;) {
          const status = await stack.submit(turn).catch(() => 0);
          if (status === 202) break;
          resubmits += 1;
          await sleep(500);
        }
        await sleep(opts.submitEveryMs ?? 60);
      }
    })();

    const outages: number[] = [];
    let workerRestarts = 0;
    const spacing = Math.max(1500, ((opts.submitEveryMs ?? 60) * opts.n) / (opts.restarts + 1));
    for (let r = 0; r < opts.restarts; r++) {
      await sleep(r === 0 ? 1200 : spacing);
      const down = Date.now();
      await (cluster ? cluster.inflict(opts.downMs ?? 2_000) : stack.restartTemporal(opts.downMs ?? 2_000));
      outages.push(Date.now() - down);
      log(
        `${cluster?.name ?? 'Temporal restart'} ${r + 1}/${opts.restarts}: unavailable for ${Date.now() - down} ms`,
      );
      if (!stack.workers.running) {
        workerRestarts += 1;
        await stack.workers.start();
      }
    }
    await submitting;
    const outcomes = await stack.awaitTurns(turns, opts.settleTimeoutMs ?? 120_000);
    if (!stack.workers.running) workerRestarts += 1;
    const histories = await fetchHistories(
      stack.client,
      turns.map((t) => t.turnId),
    );
    const figures = await planFigures(
      cluster?.name ?? 'Temporal dev server restart',
      started,
      { [cluster ? 'outages' : 'server restarts']: opts.restarts },
      {
        turns,
        outcomes,
        histories,
        stack,
      },
    );
    figures.notes.push(
      `server down ${outages.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(', ')} (${cluster?.how ?? `stop, ${(opts.downMs ?? 2000) / 1000} s pause, start on the same SQLite file`}); ` +
        `${resubmits} submissions refused during an outage and retried by the client with the same Idempotency-Key; ` +
        `worker process had to be restarted ${workerRestarts} time(s)`,
    );
    return figures;
  } finally {
    await stack.stop();
  }
}
