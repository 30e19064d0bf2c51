/**
 * History size: events and bytes of one turn's workflow history against the number of tool calls,
 * up to the iteration cap (default 8, and the maximum 50 with 16 KB tool results), next to
 * Temporal's per-workflow limits.
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { TurnService } from '../../src/api/turns';
import { makeSessionKey } from '../../src/shared/ids';
import type { AgentTurnInput } from '../../src/shared/turn';
import { MAX_TOOL_RESULT_BYTES } from '../../src/shared/tool-result';
import { benchMessage, type TurnShape } from '../lib/fake-model';
import { SCENARIO_PROFILE } from '../lib/profiles';
import { table, type BenchContext, type Scenario, type Target } from '../lib/scenario';
import { fmt, fmtSpread, spread, type Spread } from '../lib/stats';
import { lineChart } from '../lib/svg';
import { uniqueQueue } from '../lib/system';
import { GOALS } from '../lib/targets';
import { BENCH_ROLE, BENCH_TASK, runLabel } from '../lib/turns';

/** Temporal server defaults (dynamic config `limit.*`): warn first, then the workflow is terminated. */
export const LIMITS = {
  events: { warn: 10_240, error: 51_200 },
  bytes: { warn: 10 * 1024 * 1024, error: 50 * 1024 * 1024 },
  /** One payload (an activity's input or result). */
  blobBytes: { warn: 512 * 1024, error: 2 * 1024 * 1024 },
};

interface Case {
  label: string;
  cap: number;
  shape: TurnShape;
  /** Sizes are deterministic; the multi-MB cases run fewer times to keep the bench short. */
  repeats?: number;
}

const DEFAULT_CAP = 8;
const MAX_CAP = 50;

const FULL_CASES: Case[] = [
  ...[0, 1, 2, 4, 7].map((steps) => ({
    label: `${steps} tool call(s), one per step`,
    cap: DEFAULT_CAP,
    shape: { latencyMs: 0, steps, calls: steps ? 1 : 0 },
  })),
  { label: '2 tool calls in one step', cap: DEFAULT_CAP, shape: { latencyMs: 0, steps: 1, calls: 2 } },
  {
    label: `cap reached: ${DEFAULT_CAP} steps × 2 calls`,
    cap: DEFAULT_CAP,
    shape: { latencyMs: 0, steps: 99, calls: 2 },
  },
  {
    label: `cap reached: ${DEFAULT_CAP} steps × 2 calls, 16 KB results`,
    cap: DEFAULT_CAP,
    shape: { latencyMs: 0, steps: 99, calls: 2, bytes: MAX_TOOL_RESULT_BYTES - 64 },
    repeats: 2,
  },
  {
    label: `max cap ${MAX_CAP}: ${MAX_CAP} steps × 1 call, 16 KB results`,
    cap: MAX_CAP,
    shape: { latencyMs: 0, steps: 99, calls: 1, bytes: MAX_TOOL_RESULT_BYTES - 64 },
    repeats: 1,
  },
];
const QUICK_CASES: Case[] = FULL_CASES.slice(0, 3);

export interface HistoryRow {
  label: string;
  toolCalls: number;
  modelSteps: number;
  capped: boolean;
  events: Spread;
  bytes: Spread;
  largestEventBytes: Spread;
}

export const historySize: Scenario<{ rows: HistoryRow[] }> = {
  id: 'history-size',
  title: 'History size per turn',
  description:
    "Workflow history events and bytes of one turn against its tool calls, next to Temporal's limits.",
  async run(ctx: BenchContext) {
    const cases = ctx.quick ? QUICK_CASES : FULL_CASES;
    const defaultRepeats = ctx.quick ? 1 : 3;
    const sys = await ctx.system();
    const taskQueue = uniqueQueue('history');
    await sys.startWorker({ taskQueue, tuning: SCENARIO_PROFILE.tuning });
    const config = sys.config(taskQueue);
    // The API's own start path (ids, search attributes, summary), minus HTTP, so the cap can vary.
    const turns = new TurnService(sys.client, config);
    const rows: HistoryRow[] = [];
    try {
      for (const c of cases) {
        const samples: {
          events: number;
          bytes: number;
          largest: number;
          toolCalls: number;
          steps: number;
          capped: boolean;
        }[] = [];
        const started = performance.now();
        const repeats = ctx.quick ? 1 : (c.repeats ?? defaultRepeats);
        for (let r = 0; r < repeats; r++) {
          const userId = 'bench-history';
          const input: AgentTurnInput = {
            userId,
            sessionKey: makeSessionKey(userId, BENCH_ROLE),
            role: BENCH_ROLE,
            message: benchMessage(c.shape),
            history: [],
            taskTitle: BENCH_TASK,
            metadata: {},
            trigger: 'api',
            maxToolIterations: c.cap,
          };
          const handle = await turns.start(input, runLabel('hist'));
          const result = await handle.result();
          const sizes = await eventSizes(sys.client, handle.workflowId);
          samples.push({
            events: sizes.length,
            bytes: sizes.reduce((a, b) => a + b, 0),
            largest: Math.max(...sizes),
            toolCalls: result.tool_calls.length,
            steps: result.iterations,
            capped: result.capped,
          });
        }
        const first = samples[0];
        rows.push({
          label: c.label,
          toolCalls: first?.toolCalls ?? 0,
          modelSteps: first?.steps ?? 0,
          capped: first?.capped ?? false,
          events: spread(samples.map((s) => s.events)),
          bytes: spread(samples.map((s) => s.bytes)),
          largestEventBytes: spread(samples.map((s) => s.largest)),
        });
        ctx.log(
          `  ${c.label}: ${first?.events} events, ${fmt((first?.bytes ?? 0) / 1024)} KB (${fmt((performance.now() - started) / 1000)} s)`,
        );
      }
    } finally {
      await sys.stopChildren();
    }
    return { ...render(rows), data: { rows } };
  },
};

/**
 * Encoded size of every event, two events per page: one event may be close to 2 MB, and a page
 * above 4 MB exceeds the client's gRPC message limit (the 50-step case hits it at 16 per page).
 */
async function eventSizes(client: Client, workflowId: string): Promise<number[]> {
  const sizes: number[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await client.workflowService.getWorkflowExecutionHistory({
      namespace: 'default',
      execution: { workflowId },
      maximumPageSize: 2,
      nextPageToken,
    });
    for (const e of page.history?.events ?? [])
      sizes.push(temporal.api.history.v1.HistoryEvent.encode(e).finish().length);
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return sizes;
}

function render(rows: HistoryRow[]) {
  const kb = (s: Spread) => fmtSpread(spread(s.values.map((v) => v / 1024)));
  const pct = (v: number, limit: number) => `${fmt((v / limit) * 100, 2)}%`;
  const markdown = [
    table(
      [
        'turn',
        'tool calls',
        'model steps',
        'capped',
        'events',
        'history KB',
        'largest event KB',
        'events / limit',
        'bytes / limit',
        'largest / payload limit',
      ],
      rows.map((r) => [
        r.label,
        String(r.toolCalls),
        String(r.modelSteps),
        r.capped ? 'yes' : 'no',
        fmtSpread(r.events, 0),
        kb(r.bytes),
        kb(r.largestEventBytes),
        pct(r.events.max, LIMITS.events.error),
        pct(r.bytes.max, LIMITS.bytes.error),
        pct(r.largestEventBytes.max, LIMITS.blobBytes.error),
      ]),
    ),
    '',
    `Temporal's defaults: a workflow is terminated at ${fmt(LIMITS.events.error, 0)} events or ${LIMITS.bytes.error / 1024 / 1024} MB of history ` +
      `(warnings from ${fmt(LIMITS.events.warn, 0)} events / ${LIMITS.bytes.warn / 1024 / 1024} MB), and one payload may not exceed ` +
      `${LIMITS.blobBytes.error / 1024 / 1024} MB (warning from ${LIMITS.blobBytes.warn / 1024} KB). Each model step carries the whole ` +
      'conversation so far in its activity input, so bytes grow with the square of the steps when tool results are large; the ' +
      'iteration cap (CLASPER_MAX_TOOL_ITERATIONS, default 8, at most 50) and the 16 KB tool-result cap bound both.',
  ].join('\n');
  const small = rows.filter((r) => !r.capped && r.label.includes('one per step'));
  const charts =
    small.length > 1
      ? [
          {
            file: 'history-size.svg',
            title: 'History events and KB per turn by tool calls',
            svg: lineChart({
              title: 'History per turn vs tool calls (one call per step)',
              xLabel: 'tool calls in the turn',
              yLabel: 'events / KB',
              series: [
                { name: 'events', points: small.map((r) => ({ x: r.toolCalls, y: r.events.median })) },
                {
                  name: 'history KB',
                  points: small.map((r) => ({ x: r.toolCalls, y: r.bytes.median / 1024 })),
                },
              ],
            }),
          },
        ]
      : [];
  const maxCap = rows.find((r) => r.label.startsWith('max cap'));
  const mb = (b: number) => b / 1024 / 1024;
  const targets: Target[] = maxCap
    ? [
        {
          name: `history of one turn at the maximum cap (${MAX_CAP} steps, 16 KB tool results)`,
          goal: `≤ ${GOALS.maxCapHistoryMB} MB`,
          measured: `${fmt(mb(maxCap.bytes.max), 2)} MB, ${fmt(maxCap.events.max, 0)} events, ${maxCap.modelSteps} model steps`,
          met: mb(maxCap.bytes.max) <= GOALS.maxCapHistoryMB,
          reason:
            `${maxCap.capped ? 'The turn stopped at a cap' : 'The turn ended on its own'} after ${maxCap.modelSteps} model steps and ${maxCap.toolCalls} tool calls; ` +
            `its largest event is ${fmt(maxCap.largestEventBytes.max / 1024)} KB (${pct(maxCap.largestEventBytes.max, LIMITS.blobBytes.error)} of the payload limit) ` +
            `and the whole history ${pct(maxCap.bytes.max, LIMITS.bytes.error)} of Temporal's 50 MB.`,
        },
      ]
    : [];
  return { markdown, charts, targets };
}
