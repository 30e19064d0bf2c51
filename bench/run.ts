/**
 * `npm run bench` (every scenario, writes bench/RESULTS.md and bench/charts/*.svg) and
 * `npm run bench -- --quick` (a few turns per scenario; writes bench/.out/quick/RESULTS.md so the
 * committed results stay intact). `--only=turn-latency,history-size` runs a subset.
 * `--temporal-address=127.0.0.1:17233` runs against a Temporal server that is already running (the
 * cluster of `make cluster`) instead of a dev server of its own, into bench/.out/cluster/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { RUN_ORDER, SCENARIOS } from './lib/registry';
import { runBench } from './lib/runner';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(USAGE);
    return;
  }
  const known = ['--quick', '--only=', '--temporal-address=', '--repeats='];
  const bad = args.filter((a) => !known.some((k) => (k.endsWith('=') ? a.startsWith(k) : a === k)));
  if (bad.length) throw new Error(`unknown option(s) ${bad.join(' ')}; see npm run bench -- --help`);
  const repeatsArg = args.find((a) => a.startsWith('--repeats='))?.slice('--repeats='.length);
  const repeats = repeatsArg === undefined ? undefined : Number(repeatsArg);
  if (repeats !== undefined && !(Number.isInteger(repeats) && repeats >= 1))
    throw new Error(`--repeats must be a whole number ≥ 1, got ${repeatsArg}`);
  const quick = args.includes('--quick');
  const only = args
    .find((a) => a.startsWith('--only='))
    ?.slice('--only='.length)
    .split(',');
  const unknown = only?.filter((id) => !SCENARIOS.some((s) => s.id === id)) ?? [];
  if (unknown.length)
    throw new Error(
      `unknown scenario(s) ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.id).join(', ')}`,
    );
  const scenarios = only ? SCENARIOS.filter((s) => only.includes(s.id)) : SCENARIOS;
  const temporalAddress = args
    .find((a) => a.startsWith('--temporal-address='))
    ?.slice('--temporal-address='.length);
  const benchDir = __dirname;
  const outDir = path.join(benchDir, '.out');
  const resultsPath = temporalAddress
    ? path.join(outDir, 'cluster', 'RESULTS.md')
    : quick || only || repeats
      ? path.join(outDir, quick ? 'quick' : 'partial', 'RESULTS.md')
      : path.join(benchDir, 'RESULTS.md');
  // The cluster figures in RESULTS.md are copied there by hand from a --temporal-address run
  // (bench/README.md); a full run rewrites the rest of the file and keeps them.
  const kept = keptClusterSection(resultsPath);
  fs.mkdirSync(path.dirname(resultsPath), { recursive: true });
  const notes = path.join(benchDir, 'TUNING.md');
  const report = await runBench({
    scenarios,
    runOrder: RUN_ORDER,
    quick,
    repeats,
    resultsPath,
    outDir,
    appendix: fs.existsSync(notes) ? fs.readFileSync(notes, 'utf8') : undefined,
    temporalAddress,
  });
  if (kept) fs.appendFileSync(resultsPath, `\n${kept}\n`);
  const failed = report.reports.filter((r) => r.error);
  process.stdout.write(
    `\nwrote ${path.relative(process.cwd(), resultsPath)} in ${(report.durationSec / 60).toFixed(1)} min\n`,
  );
  for (const r of report.reports)
    for (const t of r.output?.targets ?? [])
      process.stdout.write(`  ${t.met ? 'met   ' : 'MISSED'} ${t.name}: ${t.measured} (goal ${t.goal})\n`);
  if (failed.length) {
    process.stderr.write(
      `${failed.length} scenario(s) failed: ${failed.map((r) => r.scenario.id).join(', ')}\n`,
    );
    process.exitCode = 1;
  }
}

const USAGE = `npm run bench [-- options]: every scenario, writes bench/RESULTS.md and bench/charts/ (10-15 min on a quiet box)
  --quick                 a few turns per scenario, one repeat (bench/.out/quick/RESULTS.md)
  --only=id,id            these scenarios only (bench/.out/partial/RESULTS.md); ids: ${SCENARIOS.map((s) => s.id).join(', ')}
  --repeats=N             N repeats per scenario instead of its own count (bench/.out/partial/RESULTS.md)
  --temporal-address=h:p  against a running Temporal server, e.g. make cluster's (bench/.out/cluster/RESULTS.md)
npm run bench:profile [-- --turns=N --concurrency=N --top=N --json=file]: a CPU profile of the worker (bench/profile-worker.ts)
`;

const CLUSTER_BEGIN = '<!-- cluster: begin -->';
const CLUSTER_END = '<!-- cluster: end -->';

function keptClusterSection(resultsPath: string): string | undefined {
  if (!fs.existsSync(resultsPath)) return undefined;
  const text = fs.readFileSync(resultsPath, 'utf8');
  const from = text.indexOf(CLUSTER_BEGIN);
  const to = text.indexOf(CLUSTER_END);
  return from >= 0 && to > from ? text.slice(from, to + CLUSTER_END.length) : undefined;
}

main().then(
  () => process.exit(),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
