/**
 * The pieces of a reliability report that every runner prints the same way: the machine line, the
 * figures table and its notes. Used by `npm run reliability` (scripts/reliability.ts) and by
 * `make cluster-faults` (scripts/cluster/faults.ts), which write them into docs/reliability.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleClasperWorkflows } from '../../../src/worker/workflow-bundle';
import { REPO_ROOT } from '../../../scripts/lib/temporal-dev-server';
import { totalFaults, type ScenarioFigures } from './figures';

/** CPU, memory, OS, Node, what Temporal ran, and the load when the run started. */
export function machineLine(load: number[], temporal: string): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}, ${temporal}; load average (1/5/15 min) when the run started ${load.map((l) => l.toFixed(2)).join(' / ')}`;
}

export function figuresTable(figures: ScenarioFigures[]): string {
  const rows = figures.map(
    (f) =>
      `| ${f.scenario} | ${f.n} | ${totalFaults(f)} (${Object.entries(f.faults)
        .map(([k, v]) => `${k} ${v}`)
        .join(
          ', ',
        )}) | ${f.completed}${f.failedAsDefined ? ` (+ ${f.failedAsDefined} failed as defined)` : ''} | ${f.lost} | ${f.missingWrites} | ${f.duplicated} | ${(f.durationMs / 1000).toFixed(0)} s |`,
  );
  return `| Scenario | N (turns) | Faults injected | Completed | Lost (turns) | Missing writes | Duplicated writes | Duration |
|---|---|---|---|---|---|---|---|
${rows.join('\n')}`;
}

export function figuresNotes(figures: ScenarioFigures[]): string {
  return figures.flatMap((f) => f.notes.map((n) => `- **${f.scenario}**: ${n}`)).join('\n') || '- none';
}

export function figuresProblems(figures: ScenarioFigures[]): string[] {
  return figures.flatMap((f) => f.problems.map((p) => `- **${f.scenario}**: ${p.split('\n')[0]}`));
}

export function figuresSummary(f: ScenarioFigures): string {
  return `${f.scenario}: n=${f.n} faults=${totalFaults(f)} completed=${f.completed} lost=${f.lost} missing=${f.missingWrites} duplicated=${f.duplicated} unexpected=${f.unexpectedWrites} in ${(f.durationMs / 1000).toFixed(1)} s${f.problems.length ? ` — ${f.problems.length} PROBLEM(S)` : ''}`;
}

/** Bundles the workflows once into `outDir`, for the scenarios' worker processes. */
export async function bundleWorkflowsInto(outDir: string): Promise<string> {
  fs.mkdirSync(outDir, { recursive: true });
  const bundlePath = path.join(outDir, 'workflow-bundle.js');
  const code = await bundleClasperWorkflows({ logger: quiet });
  fs.writeFileSync(bundlePath, code);
  return bundlePath;
}

/**
 * docs/reliability.md holds the dev-server figures (rewritten by `npm run reliability`), the
 * cluster figures (rewritten by `make cluster-faults`) and the hand-written list of attacks, each
 * of the last two between its markers; each runner replaces only its own part and keeps the rest.
 */
export const CLUSTER_SECTION_START = '<!-- cluster-faults: begin (written by make cluster-faults) -->';
export const CLUSTER_SECTION_END = '<!-- cluster-faults: end -->';
export const ATTACKS_SECTION_START = '<!-- attacks: begin (written by hand; the runners keep it) -->';
export const ATTACKS_SECTION_END = '<!-- attacks: end -->';

function markedSection(markdown: string, start: string, end: string): string | undefined {
  const from = markdown.indexOf(start);
  const to = markdown.indexOf(end);
  return from >= 0 && to > from ? markdown.slice(from, to + end.length) : undefined;
}

export function clusterSection(markdown: string): string | undefined {
  return markedSection(markdown, CLUSTER_SECTION_START, CLUSTER_SECTION_END);
}

/** The sections other runners own, to keep when `npm run reliability` rewrites the file. */
export function keptSections(markdown: string): string | undefined {
  const kept = [
    clusterSection(markdown),
    markedSection(markdown, ATTACKS_SECTION_START, ATTACKS_SECTION_END),
  ];
  const present = kept.filter((k): k is string => k !== undefined);
  return present.length > 0 ? present.join('\n\n') : undefined;
}

export const RELIABILITY_DOC = path.join(REPO_ROOT, 'docs/reliability.md');

const noop = () => undefined;
const quiet = { trace: noop, debug: noop, info: noop, warn: console.warn, error: console.error, log: noop };
