/**
 * Runs scenarios against one shared system and writes the report: RESULTS.md (machine, versions,
 * load, targets, one section per scenario), one SVG per chart, and the raw figures as JSON. A
 * scenario that fails is reported as failed and the others still run.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadAverage, machineInfo, type MachineInfo } from './machine';
import { SCENARIO_PROFILE, SERVER_PROFILE } from './profiles';
import { table, type BenchContext, type Scenario, type ScenarioOutput, type Target } from './scenario';
import { startSystem, type BenchSystem } from './system';

export interface RunOptions {
  /** In the order RESULTS.md presents them. */
  scenarios: Scenario[];
  /** Scenario ids in the order to run them; default: presentation order. */
  runOrder?: string[];
  quick: boolean;
  /** `--repeats=N` for every scenario. */
  repeats?: number;
  /** Where RESULTS.md goes; its charts go to `<dir of results>/charts/`. */
  resultsPath: string;
  outDir: string;
  log?: (line: string) => void;
  temporalAddress?: string;
  workflowBundlePath?: string;
  /** Extra markdown appended at the end (e.g. the hand-written tuning notes). */
  appendix?: string;
}

export interface ScenarioReport {
  scenario: Scenario;
  durationSec: number;
  /** 1-minute load average when the scenario started (its own processes included once it runs). */
  loadAtStart: number;
  output?: ScenarioOutput;
  error?: string;
}

export interface RunReport {
  machine: MachineInfo;
  loadAtEnd: string;
  durationSec: number;
  reports: ScenarioReport[];
  markdown: string;
}

export async function runBench(opts: RunOptions): Promise<RunReport> {
  const log = opts.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const t0 = performance.now();
  const machine = machineInfo();
  log(`bench${opts.quick ? ' (quick)' : ''}: ${machine.cpus} CPUs, load ${loadAverage()}`);
  let system: Promise<BenchSystem> | undefined;
  const ctx: BenchContext = {
    quick: opts.quick,
    repeats: opts.repeats,
    outDir: opts.outDir,
    log,
    system: () =>
      (system ??= startSystem({
        outDir: opts.outDir,
        log,
        temporalAddress: opts.temporalAddress,
        workflowBundlePath: opts.workflowBundlePath,
      })),
  };
  const reports: ScenarioReport[] = [];
  const rank = (s: Scenario) => {
    const i = opts.runOrder?.indexOf(s.id) ?? -1;
    return i === -1 ? Number.MAX_SAFE_INTEGER : i;
  };
  const toRun = [...opts.scenarios].sort((a, b) => rank(a) - rank(b));
  try {
    for (const scenario of toRun) {
      const started = performance.now();
      const loadAtStart = os.loadavg()[0] ?? NaN;
      log(`▶ ${scenario.id}: ${scenario.description}`);
      try {
        const output = await scenario.run(ctx);
        reports.push({ scenario, output, loadAtStart, durationSec: (performance.now() - started) / 1000 });
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        log(`✗ ${scenario.id} failed: ${error}`);
        reports.push({ scenario, error, loadAtStart, durationSec: (performance.now() - started) / 1000 });
      }
      log(`  ${scenario.id} took ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
  } finally {
    if (system) await (await system.catch(() => undefined))?.stop();
  }
  reports.sort((a, b) => opts.scenarios.indexOf(a.scenario) - opts.scenarios.indexOf(b.scenario));
  const durationSec = (performance.now() - t0) / 1000;
  const loadAtEnd = loadAverage();
  const markdown = renderResults({
    machine,
    loadAtEnd,
    durationSec,
    reports,
    quick: opts.quick,
    appendix: opts.appendix,
    temporalAddress: opts.temporalAddress,
  });
  writeOutputs(opts, reports, markdown, { machine, loadAtEnd, durationSec });
  return { machine, loadAtEnd, durationSec, reports, markdown };
}

function writeOutputs(opts: RunOptions, reports: ScenarioReport[], markdown: string, meta: object): void {
  const chartsDir = path.join(path.dirname(opts.resultsPath), 'charts');
  fs.mkdirSync(chartsDir, { recursive: true });
  for (const r of reports)
    for (const c of r.output?.charts ?? []) fs.writeFileSync(path.join(chartsDir, c.file), `${c.svg}\n`);
  fs.writeFileSync(opts.resultsPath, markdown);
  fs.mkdirSync(opts.outDir, { recursive: true });
  const raw = reports.map((r) => ({
    id: r.scenario.id,
    durationSec: r.durationSec,
    error: r.error,
    data: r.output?.data,
    targets: r.output?.targets,
  }));
  fs.writeFileSync(
    path.join(opts.outDir, opts.quick ? 'results.quick.json' : 'results.json'),
    JSON.stringify({ ...meta, scenarios: raw }, null, 2),
  );
}

function renderResults(r: {
  machine: MachineInfo;
  loadAtEnd: string;
  durationSec: number;
  reports: ScenarioReport[];
  quick: boolean;
  appendix?: string;
  temporalAddress?: string;
}): string {
  const m = r.machine;
  const loadStart = m.loadAverage.map((n) => n.toFixed(2)).join(' / ');
  const busy = (m.loadAverage[0] ?? 0) >= 1;
  const targets: Target[] = r.reports.flatMap((x) => x.output?.targets ?? []);
  const out: string[] = [
    '# Benchmark results',
    '',
    `Generated by \`npm run bench${r.quick ? ' -- --quick' : ''}\` (bench/run.ts) on ${m.date} in ${(r.durationSec / 60).toFixed(1)} min. ` +
      'Do not edit by hand: re-run the bench. How to read this file: [bench/README.md](README.md).',
    '',
    ...(r.quick
      ? [
          '> **Quick smoke run**: a few turns per scenario, one repeat. The figures only show the harness works.',
          '',
        ]
      : []),
    '## Machine and versions',
    '',
    table(
      ['', ''],
      [
        ['CPU', `${m.cpus} × ${m.cpuModel}`],
        ['RAM', `${m.ramGiB.toFixed(1)} GiB`],
        ['OS', m.kernel],
        [
          'load average (1 / 5 / 15 min)',
          `start ${loadStart}; end ${r.loadAtEnd}${busy ? ' — **the machine was busy at the start: other work competed for the CPUs**' : ''}`,
        ],
        ['Node', m.node],
        [
          'packages',
          Object.entries(m.packages)
            .map(([k, v]) => `${k} ${v}`)
            .join(', '),
        ],
        [
          'Temporal',
          r.temporalAddress
            ? `the running server at ${r.temporalAddress} (--temporal-address; e.g. the cluster of \`make cluster\`)`
            : `CLI ${m.temporalCli}, \`temporal server start-dev\` with a SQLite file under bench/.out/`,
        ],
        [
          'server config',
          r.temporalAddress
            ? "the running server's own (for make cluster: scripts/cluster/temporal.yaml and dynamicconfig.yaml)"
            : `\`${SERVER_PROFILE.name}\`: ${SERVER_PROFILE.why}` +
              (Object.keys(SERVER_PROFILE.dynamicConfig).length
                ? ` — \`${JSON.stringify(SERVER_PROFILE.dynamicConfig)}\``
                : ''),
        ],
        ['commit', m.commit],
        [
          'worker profile',
          `\`${SCENARIO_PROFILE.name}\`: ${SCENARIO_PROFILE.why} — \`${JSON.stringify(SCENARIO_PROFILE.tuning)}\``,
        ],
      ],
    ),
    '',
    'Every process runs on this one machine: the Temporal dev server, the worker process(es), the API process, and the bench ' +
      'process (load generator, baseline, reference backend, fake model). Figures read `median (min–max)` over the repeats.',
    '',
    'The API runs with `CLASPER_SESSIONS=false` in every scenario but the sessions one: the load spreads over 8 users, so ' +
      "with sessions on (the runtime's default) each user's turns would queue behind each other and the figures would measure " +
      'the queue. What the session layer adds to a turn is measured on its own (section 9).',
    '',
    '## Targets',
    '',
    targets.length
      ? table(
          ['target', 'goal', 'measured (median of repeats)', 'result', 'why'],
          targets.map((t) => [t.name, t.goal, t.measured, t.met ? '**met**' : '**missed**', t.reason]),
        )
      : '_No target was measured in this run._',
    '',
  ];
  r.reports.forEach((rep, i) => {
    out.push(
      `## ${i + 1}. ${rep.scenario.title}`,
      '',
      `_${rep.scenario.description}_ (\`bench/scenarios/${rep.scenario.id}.ts\`, ${rep.durationSec.toFixed(0)} s, 1-min load average ${rep.loadAtStart.toFixed(2)} at its start, the bench's own processes included)`,
      '',
    );
    if (rep.error) {
      out.push(`**Not measured:** ${rep.error}`, '');
      return;
    }
    const o = rep.output as ScenarioOutput;
    out.push(o.markdown, '');
    for (const c of o.charts) out.push(`![${c.title}](charts/${c.file})`, '');
  });
  if (r.appendix) out.push(r.appendix.trim(), '');
  return `${out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`;
}
