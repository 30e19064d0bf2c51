/**
 * `make cluster-faults`: the Temporal-restart reliability scenario on the cluster of `make cluster`,
 * with the outages a real deployment has: one Temporal service process SIGKILLed and started again
 * (history, which owns the shards; matching; frontend, which every client talks to), and
 * PostgreSQL itself stopped without a checkpoint and started again (WAL recovery). Turns are in
 * flight each time; every one must complete, every backend write exactly once (counted through the
 * reference backend's _inspect endpoint, test/reliability/lib/turn-plan.ts).
 *
 *   make cluster-faults                                   # every outage, writes docs/reliability.md
 *   npx tsx scripts/cluster/faults.ts --only postgres --n 20 --no-write
 *
 * The Temporal services run under scripts/cluster/temporal.sh, which plays the process supervisor:
 * after each outage it starts any service that is not running and the figures say which were.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { REPO_ROOT } from '../lib/temporal-dev-server';
import type { ScenarioFigures } from '../../test/reliability/lib/figures';
import * as report from '../../test/reliability/lib/report';
import { runTemporalRestart, type ExternalOutage } from '../../test/reliability/lib/temporal-restart';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const OUTAGES = ['history', 'matching', 'frontend', 'postgres'] as const;
type OutageKind = (typeof OUTAGES)[number];

interface Options {
  address: string;
  only: string;
  n: string;
  outages: string;
  downMs: string;
  write: boolean;
}

const program = new Command()
  .name('cluster-faults')
  .description('Kill Temporal services and crash PostgreSQL under load; write docs/reliability.md')
  .option('--address <host:port>', 'frontend of the cluster (make cluster)', '127.0.0.1:17233')
  .option('--only <list>', `comma-separated subset of ${OUTAGES.join(',')}`, OUTAGES.join(','))
  .option('--n <turns>', 'turns per outage kind', '100')
  .option('--outages <count>', 'outages per kind, spread over the turns', '3')
  .option('--down-ms <ms>', 'how long each outage lasts before the restart', '2000')
  .option('--no-write', 'print the figures only; leave docs/reliability.md alone');

function log(line: string): void {
  process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

async function sh(script: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('bash', [path.join(REPO_ROOT, 'scripts/cluster', script), ...args]);
  return stdout;
}

/** Starts every service that is not running (as a supervisor would) and names those it started. */
async function superviseServices(): Promise<string[]> {
  const stopped = (await sh('temporal.sh', 'status'))
    .split('\n')
    .filter((l) => l.endsWith(': stopped'))
    .map((l) => l.slice(0, l.indexOf(':')));
  if (stopped.length > 0) await sh('temporal.sh', 'start');
  return stopped;
}

function outage(kind: OutageKind, address: string, supervised: string[]): ExternalOutage {
  const note = async () => {
    for (const s of await superviseServices()) supervised.push(s);
  };
  if (kind === 'postgres')
    return {
      temporalAddress: address,
      name: 'cluster: PostgreSQL crash',
      how: 'pg_ctl stop -m immediate (no checkpoint), pause, start: WAL recovery',
      async inflict(downMs) {
        await sh('postgres.sh', 'crash');
        await sleep(downMs);
        await sh('postgres.sh', 'start');
        await note();
      },
    };
  return {
    temporalAddress: address,
    name: `cluster: kill -9 ${kind} service`,
    how: `SIGKILL of the ${kind} process, pause, start it again`,
    async inflict(downMs) {
      await sh('temporal.sh', 'kill9', kind);
      await sleep(downMs);
      await sh('temporal.sh', 'start', kind);
      await note();
    },
  };
}

async function main(): Promise<void> {
  const opts = program.parse().opts<Options>();
  const only = opts.only.split(',').map((s) => s.trim()) as OutageKind[];
  for (const k of only)
    if (!OUTAGES.includes(k)) throw new Error(`unknown outage '${k}' (known: ${OUTAGES.join(', ')})`);
  const status = await sh('temporal.sh', 'status');
  if (status.includes('stopped')) throw new Error(`the cluster is not running (make cluster):\n${status}`);

  const started = new Date();
  const loadAtStart = os.loadavg();
  log('bundling workflows');
  const bundlePath = await report.bundleWorkflowsInto(path.join(REPO_ROOT, '.data/cluster-faults'));
  const figures: ScenarioFigures[] = [];
  for (const kind of only) {
    const supervised: string[] = [];
    log(`outage: ${kind}`);
    const f = await runTemporalRestart({
      n: Number(opts.n),
      restarts: Number(opts.outages),
      bundlePath,
      cluster: outage(kind, opts.address, supervised),
      downMs: Number(opts.downMs),
      submitEveryMs: 150,
      settleTimeoutMs: 300_000,
      log,
    });
    f.notes.push(
      supervised.length
        ? `services that had exited and were started again by the supervisor: ${supervised.join(', ')}`
        : 'no other Temporal service exited',
    );
    figures.push(f);
    log(report.figuresSummary(f));
    for (const p of f.problems.slice(0, 20)) log(`  PROBLEM ${p}`);
  }

  const section = await renderSection(figures, started, loadAtStart, process.argv.slice(2));
  if (opts.write) {
    const doc = fs.readFileSync(report.RELIABILITY_DOC, 'utf8');
    const old = report.clusterSection(doc);
    fs.writeFileSync(
      report.RELIABILITY_DOC,
      old ? doc.replace(old, section) : `${doc.trimEnd()}\n\n${section}\n`,
    );
    log(`wrote ${path.relative(REPO_ROOT, report.RELIABILITY_DOC)}`);
  } else {
    process.stdout.write(`\n${section}\n`);
  }
  if (figures.some((f) => f.problems.length > 0)) process.exitCode = 1;
}

async function renderSection(
  figures: ScenarioFigures[],
  started: Date,
  load: number[],
  argv: string[],
): Promise<string> {
  const pg = (await run('bash', ['-c', 'ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1'])).stdout.trim();
  const pgVersion = (await run(path.join(pg, 'postgres'), ['--version'])).stdout.trim();
  const services = (await sh('temporal.sh', 'status'))
    .split('\n')
    .filter(Boolean)
    .map((l) => l.slice(0, l.indexOf(':')));
  const { version, shards } = await clusterSettings();
  const temporal = `Temporal server ${version} (${services.join(', ')}: one process each, ${shards} history shards) on ${pgVersion}`;
  const command = `make cluster-faults\` (\`scripts/cluster/faults.ts ${argv.join(' ')}`;
  return `${report.CLUSTER_SECTION_START}
## On a real Temporal cluster (PostgreSQL)

The Temporal-restart scenario again, on the cluster of \`make cluster\` (scripts/cluster/) instead of
the dev server, with the outages a deployment has: a Temporal service process SIGKILLed and started
again, and PostgreSQL stopped without a checkpoint (\`pg_ctl stop -m immediate\`, as a power cut)
and started again. Turns are in flight every time; the same turn plan, checks and counts as above.

- **Date**: ${started.toISOString()}
- **Machine**: ${report.machineLine(load, temporal)}
- **Command**: \`${command}\`, ~${Math.round(figures.reduce((a, f) => a + f.durationMs, 0) / 60_000)} min)

${report.figuresTable(figures)}

${report.figuresNotes(figures)}

${report.figuresProblems(figures).join('\n') || 'Problems: none — every turn completed as planned, every write exactly once, no secret found.'}
${report.CLUSTER_SECTION_END}`;
}

/** The pinned server version and shard count, from the cluster's settings. */
async function clusterSettings(): Promise<{ version: string; shards: string }> {
  const envSh = path.join(REPO_ROOT, 'scripts/cluster/env.sh');
  const { stdout } = await run('bash', [
    '-c',
    `source '${envSh}'; echo "$TEMPORAL_SERVER_VERSION $CLUSTER_SHARDS"`,
  ]);
  const [version = '?', shards = '?'] = stdout.trim().split(' ');
  return { version, shards };
}

main().catch((err: unknown) => {
  process.stderr.write(
    `cluster-faults failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
