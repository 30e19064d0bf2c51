/** What every scenario receives and returns; bench/run.ts composes the reports into RESULTS.md. */
import type { BenchSystem } from './system';

export interface BenchContext {
  /** Smoke run: a few turns per scenario, one repeat. */
  quick: boolean;
  /** `--repeats=N`: overrides every scenario's repeat count (development runs). */
  repeats?: number;
  /** The shared system, started on first use. */
  system(): Promise<BenchSystem>;
  log(line: string): void;
  /** Scratch space (git-ignored): bench/.out/. */
  outDir: string;
}

export interface Target {
  name: string;
  goal: string;
  measured: string;
  met: boolean;
  /** Why it was met or missed, in a sentence. */
  reason: string;
}

export interface Chart {
  /** File name under bench/charts/. */
  file: string;
  title: string;
  svg: string;
}

export interface ScenarioOutput<D = unknown> {
  /** The scenario's section of RESULTS.md (below its heading). */
  markdown: string;
  charts: Chart[];
  targets: Target[];
  /** The raw figures, for the smoke test and bench/.out/results.json. */
  data: D;
}

export interface Scenario<D = unknown> {
  id: string;
  title: string;
  /** One line: what it measures. */
  description: string;
  run(ctx: BenchContext): Promise<ScenarioOutput<D>>;
}

/** A scenario's parameters (FULL or QUICK) with `--repeats=N` applied. */
export function scenarioParams<P extends { repeats: number }>(ctx: BenchContext, full: P, quick: P): P {
  const p = ctx.quick ? quick : full;
  return ctx.repeats ? { ...p, repeats: ctx.repeats } : p;
}

/** A markdown table from a header row and body rows. */
export function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
