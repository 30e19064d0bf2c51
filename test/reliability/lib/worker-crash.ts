/**
 * Scenario 1, worker crashes: N turns with tool calls while the worker process is SIGKILLed at
 * chosen moments and restarted. Each kill waits for its moment:
 *   model   — a model request is in flight (the fake model is still "thinking")
 *   tool    — a tool's backend write is on the wire (held by the proxy)
 *   between — just after a tool write was answered, before the next model step is scheduled
 *   reply   — the reply POST is on the wire
 *   random  — any time at all
 * then the worker is restarted after a short random pause. Every turn must complete and the
 * backend must hold exactly the planned writes.
 */
import { fetchHistories } from './histories';
import { planFigures, seededRandom, type ScenarioFigures } from './figures';
import { startScenarioStack } from './scenario-stack';
import type { FakeResponder, RecordedRequest } from '../../support/fake-openai';
import type { ProxiedRequest } from './observing-proxy';
import { planResponder, planTurns, turnTagOf } from './turn-plan';

export interface WorkerCrashOptions {
  n: number;
  kills: number;
  bundlePath: string;
  temporalAddress?: string;
  seed?: number;
  /** Gap between two turn submissions. */
  submitEveryMs?: number;
  /** How long the fake model takes per answer (uniform in [min, max]). */
  modelDelayMs?: [number, number];
  /** Deadline for all turns after the last kill. */
  settleTimeoutMs?: number;
  log?: (line: string) => void;
}

export const CRASH_MOMENTS = ['model', 'tool', 'between', 'reply', 'random'] as const;
type Moment = (typeof CRASH_MOMENTS)[number];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const isWrite = (r: ProxiedRequest) => r.method === 'POST' && /\/(tasks|messages|documents)$/.test(r.path);
const isToolWrite = (r: ProxiedRequest) => isWrite(r) && r.body.includes('/tool:');
const isReplyWrite = (r: ProxiedRequest) => isWrite(r) && /\/reply(\/plan)?"/.test(r.body);

export async function runWorkerCrash(opts: WorkerCrashOptions): Promise<ScenarioFigures> {
  const seed = opts.seed ?? Date.now() % 1_000_000;
  const random = seededRandom(seed);
  const log = opts.log ?? (() => undefined);
  const [minDelay, maxDelay] = opts.modelDelayMs ?? [80, 200];
  const started = Date.now();
  const stack = await startScenarioStack({
    bundlePath: opts.bundlePath,
    temporalAddress: opts.temporalAddress,
    proxy: true,
  });
  try {
    const proxy = stack.proxy;
    if (!proxy) throw new Error('the crash scenario needs the proxy');
    // Writes linger 150 ms on the wire, so a kill aimed at one lands while it is in flight.
    proxy.hold = { match: isWrite, ms: 150 };

    // Model requests are announced so a kill can aim at one.
    const modelWaiters: ((r: RecordedRequest) => void)[] = [];
    const plan = planResponder(() => minDelay + Math.floor(random() * (maxDelay - minDelay + 1)));
    const responder: FakeResponder = (req) => {
      if (turnTagOf(req)) modelWaiters.splice(0).forEach((w) => w(req));
      return plan(req);
    };
    stack.llm.respond(responder);
    const nextModelCall = (timeoutMs: number) =>
      new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), timeoutMs);
        modelWaiters.push(() => {
          clearTimeout(timer);
          resolve(true);
        });
      });

    const turns = planTurns(`c${seed}`, opts.n);
    const submitting = (async () => {
      for (const turn of turns) {
        const status = await stack.submit(turn);
        if (status !== 202) throw new Error(`submitting ${turn.turnId} answered ${status}`);
        await sleep(opts.submitEveryMs ?? 150);
      }
    })();

    const kills: Record<string, number> = {};
    for (let k = 0; k < opts.kills; k++) {
      const wanted: Moment = CRASH_MOMENTS[k % CRASH_MOMENTS.length] ?? 'random';
      let moment: Moment = wanted;
      const aimed =
        wanted === 'model'
          ? await nextModelCall(8_000).then(async (hit) =>
              hit ? (await sleep(minDelay * random()), true) : false,
            )
          : wanted === 'tool'
            ? Boolean(await proxy.next(isToolWrite, 8_000))
            : wanted === 'between'
              ? Boolean(await proxy.next(isToolWrite, 8_000)) && (await sleep(160 + 40 * random()), true)
              : wanted === 'reply'
                ? Boolean(await proxy.next(isReplyWrite, 8_000))
                : (await sleep(500 * random()), true);
      if (!aimed) moment = 'random';
      await stack.workers.kill();
      kills[moment] = (kills[moment] ?? 0) + 1;
      log(`kill ${k + 1}/${opts.kills} (${moment}) at +${Date.now() - started} ms`);
      await sleep(300 * random());
      await stack.workers.start();
      // Let the new worker make progress before the next kill.
      await sleep(600 + 900 * random());
    }
    await submitting;
    if (!stack.workers.running) await stack.workers.start();

    const outcomes = await stack.awaitTurns(turns, opts.settleTimeoutMs ?? 120_000);
    const histories = await fetchHistories(
      stack.client,
      turns.map((t) => t.turnId),
    );
    const figures = await planFigures('worker crash (SIGKILL)', started, kills, {
      turns,
      outcomes,
      histories,
      stack,
    });
    figures.notes.push(
      `seed ${seed}; ${stack.workers.starts} worker processes started; kills by moment: ${JSON.stringify(kills)}`,
    );
    return figures;
  } finally {
    await stack.stop();
  }
}
