/**
 * `npm run reliability`: the large versions of the reliability scenarios (issue 6), on a Temporal
 * dev server of their own, and their figures in docs/reliability.md.
 *
 *   npm run reliability                      # everything, large N, writes docs/reliability.md
 *   npm run reliability -- --only crash,faults --n 50 --no-write   # a quicker look
 *
 * The small versions of the same scenario code run in `make test` (test/reliability/).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { Command } from 'commander';
import { REPO_ROOT, startDevServer, temporalCliPath } from './lib/temporal-dev-server';
import type { ScenarioFigures } from '../test/reliability/lib/figures';
import {
  bundleWorkflowsInto,
  keptSections,
  figuresNotes,
  figuresProblems,
  figuresSummary,
  figuresTable,
  machineLine,
  RELIABILITY_DOC,
} from '../test/reliability/lib/report';
import { runWorkerCrash } from '../test/reliability/lib/worker-crash';
import { runTemporalRestart } from '../test/reliability/lib/temporal-restart';
import { runBackendFaults } from '../test/reliability/lib/backend-faults';
import { runModelFaults } from '../test/reliability/lib/model-faults';

const SCENARIOS = ['crash', 'restart', 'faults', 'model'] as const;
type Scenario = (typeof SCENARIOS)[number];

interface Options {
  only: string;
  n?: string;
  write: boolean;
  seed?: string;
}

const program = new Command()
  .name('reliability')
  .description('Run the large reliability scenarios and write docs/reliability.md')
  .option('--only <list>', `comma-separated subset of ${SCENARIOS.join(',')}`, SCENARIOS.join(','))
  .option(
    '--n <turns>',
    'turns per scenario (default: 200 for crash and faults, 100 for restart, 54 for model: 6 per fault kind)',
  )
  .option('--seed <int>', 'seed for the random choices (kills, faults)')
  .option('--no-write', 'print the figures only; leave docs/reliability.md alone');

function log(line: string): void {
  process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

async function main(): Promise<void> {
  const opts = program.parse().opts<Options>();
  const only = opts.only.split(',').map((s) => s.trim()) as Scenario[];
  for (const s of only)
    if (!SCENARIOS.includes(s)) throw new Error(`unknown scenario '${s}' (known: ${SCENARIOS.join(', ')})`);
  const n = (fallback: number) => (opts.n ? Number(opts.n) : fallback);
  const seed = opts.seed ? Number(opts.seed) : undefined;

  const outDir = path.join(REPO_ROOT, '.data/reliability');
  log('bundling workflows');
  const bundlePath = await bundleWorkflowsInto(outDir);

  // One server for the scenarios that do not restart it; the restart scenario starts its own.
  log('starting a Temporal dev server');
  const server = await startDevServer();
  const figures: ScenarioFigures[] = [];
  const started = new Date();
  const loadAtStart = os.loadavg();
  try {
    for (const scenario of only) {
      log(`scenario ${scenario}`);
      const f = await runScenario(scenario, { bundlePath, temporalAddress: server.address, n, seed, outDir });
      figures.push(f);
      log(figuresSummary(f));
      for (const p of f.problems.slice(0, 20)) log(`  PROBLEM ${p}`);
    }
  } finally {
    await server.stop();
  }

  const markdown = report(figures, started, loadAtStart, process.argv.slice(2));
  if (opts.write) {
    const target = RELIABILITY_DOC;
    // The cluster figures (make cluster-faults) and the attack list live in the same file: keep them.
    const kept = fs.existsSync(target) ? keptSections(fs.readFileSync(target, 'utf8')) : undefined;
    fs.writeFileSync(target, kept ? `${markdown}\n${kept}\n` : markdown);
    log(`wrote ${path.relative(REPO_ROOT, target)}`);
  } else {
    process.stdout.write(`\n${markdown}`);
  }
  if (figures.some((f) => f.problems.length > 0)) process.exitCode = 1;
}

async function runScenario(
  scenario: Scenario,
  ctx: {
    bundlePath: string;
    temporalAddress: string;
    n: (fallback: number) => number;
    seed?: number;
    outDir: string;
  },
): Promise<ScenarioFigures> {
  switch (scenario) {
    case 'crash': {
      const n = ctx.n(200);
      const kills = Math.max(5, Math.round(n / 5));
      // A kill cycle (wait for its moment, SIGKILL, restart, let it work) takes ~3-4 s: spread the
      // submissions over the same window so every kill finds turns in flight.
      const submitEveryMs = Math.max(100, Math.round((kills * 3_500) / n));
      return runWorkerCrash({
        n,
        kills,
        bundlePath: ctx.bundlePath,
        temporalAddress: ctx.temporalAddress,
        seed: ctx.seed,
        submitEveryMs,
        log,
        settleTimeoutMs: 600_000,
      });
    }
    case 'restart':
      return runTemporalRestart({
        n: ctx.n(100),
        restarts: 3,
        bundlePath: ctx.bundlePath,
        dbFilename: path.join(ctx.outDir, `restart-${Date.now()}.db`),
        submitEveryMs: 150,
        settleTimeoutMs: 300_000,
        log,
      });
    case 'faults':
      return runBackendFaults({
        n: ctx.n(200),
        bundlePath: ctx.bundlePath,
        temporalAddress: ctx.temporalAddress,
        seed: ctx.seed,
        slowResponses: 4,
        settleTimeoutMs: 900_000,
        log,
      });
    case 'model':
      return runModelFaults({
        perKind: Math.max(1, Math.round(ctx.n(54) / 9)),
        bundlePath: ctx.bundlePath,
        temporalAddress: ctx.temporalAddress,
        settleTimeoutMs: 300_000,
        log,
      });
  }
}

function machine(load: number[]): string {
  let temporal = 'unknown';
  try {
    temporal = execFileSync(temporalCliPath(), ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    // reported as unknown
  }
  return machineLine(load, temporal);
}

function report(figures: ScenarioFigures[], started: Date, load: number[], argv: string[]): string {
  const command = `npm run reliability${argv.length ? ` -- ${argv.join(' ')}` : ''}`;
  return `# Reliability figures

What "no turn lost, nothing written twice, no one gets in" measured like, on this machine. Every
scenario drives real turns through the real API, a real Temporal dev server, the worker as a
separate process, the reference backend over HTTP and a fake OpenAI server over HTTP; only the
model's answers are scripted. Each turn makes three model calls and three tool calls and writes
2 tasks, 2 messages and 2 documents, so "lost" and "duplicated" are counts against an exact
expectation (see \`test/reliability/lib/turn-plan.ts\`).

- **Date**: ${started.toISOString()}
- **Machine**: ${machine(load)}
- **Command**: \`${command}\` (or \`make reliability\`; small versions of the same scenarios run in \`make test\`: \`npx jest test/reliability\`)

${figuresTable(figures)}

"Lost" counts turns that did not end as defined: completed, or — for the two model faults whose
defined outcome is a failure (only empty answers, an exhausted quota) — failed with a readable
reason. "Missing writes" counts planned tasks, messages and documents that are not in the backend;
"duplicated writes" counts extra copies.
Each scenario also fails on any secret or JWT found in a workflow history, a worker log line or an
API log line, on any activity scheduled without a retry bound, and on any failed workflow task.

## Notes

${figuresNotes(figures)}

## What these scenarios found (and what was changed)

- **A killed worker stalled its turns for the activity's whole start-to-close timeout** (90 s for a
  model call, 45 s for a backend call): activities did not heartbeat, so Temporal could not tell the
  worker was gone. Every activity now heartbeats every 2 s (\`src/worker/activity-heartbeat.ts\`)
  and AgentTurn's activities have a 10 s \`heartbeatTimeout\` (\`src/workflows/lib/liveness.ts\`).
  The small crash run (20 turns, 5 kills) went from 109 s to 34 s.
- **An empty model answer was posted as the reply** (and the contract's 400 then failed the turn):
  agent turns now treat an answer with no text and no tool calls as a retryable model fault
  (\`Model.EmptyAnswer\`, \`rejectEmpty\` in \`callModel\`).
- **A JSON body nested a few thousand levels deep was a 500** in the API (Temporal's payload
  converter overflows the stack) and in the reference backend: both answer 400 past 64 levels.

## Problems

${figuresProblems(figures).join('\n') || 'None: every turn completed as planned, every write exactly once, no secret found.'}
`;
}

main().catch((err: unknown) => {
  process.stderr.write(
    `reliability failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
