/**
 * Workspace: system-prompt assembly time for the repository's small workspace and a large one
 * (200 skills, 2 MB of memory files), cold (a fresh workspace object: every file read and every
 * skill parsed) and cached (the same object again: one stat per file, parses reused).
 */
import fs from 'node:fs';
import path from 'node:path';
import { createWorkspace } from '../../src/clients/workspace';
import { dailyMemoryFile, memoryDates } from '../../src/clients/workspace/memory';
import { REPO_ROOT } from '../../scripts/lib/temporal-dev-server';
import { table, type BenchContext, type Scenario, scenarioParams } from '../lib/scenario';
import { fmt, fmtSpread, percentiles, spread, type Spread } from '../lib/stats';
import { barChart } from '../lib/svg';

const FULL = { skills: 200, memoryBytes: 2 * 1024 * 1024, coldCalls: 15, cachedCalls: 60, repeats: 3 };
const QUICK = { skills: 200, memoryBytes: 2 * 1024 * 1024, coldCalls: 2, cachedCalls: 5, repeats: 1 };
const ROLE = 'lead';
const TIMEZONE = 'UTC';

export interface WorkspaceRow {
  workspace: string;
  mode: 'cold' | 'cached';
  p50: Spread;
  p95: Spread;
  calls: number;
  promptChars: number;
  files: number;
  truncatedFiles: number;
}

export const workspaceScenario: Scenario<{
  rows: WorkspaceRow[];
  large: { skills: number; memoryBytes: number; diskBytes: number };
}> = {
  id: 'workspace',
  title: 'Workspace: prompt assembly',
  description:
    'System-prompt assembly for a small and a large workspace (200 skills, 2 MB of memory), cold and cached.',
  async run(ctx: BenchContext) {
    const p = scenarioParams(ctx, FULL, QUICK);
    const small = path.join(REPO_ROOT, 'workspace');
    const large = path.join(ctx.outDir, 'workspace-large');
    const diskBytes = writeLargeWorkspace(small, large, p.skills, p.memoryBytes);
    const rows: WorkspaceRow[] = [];
    for (const [name, root] of [
      ['small (repo ./workspace)', small],
      [`large (${p.skills} skills, ${(p.memoryBytes / 1024 / 1024).toFixed(0)} MB memory)`, large],
    ] as const) {
      const cold: number[][] = [];
      const cached: number[][] = [];
      let shape = { chars: 0, files: 0, truncated: 0 };
      for (let r = 0; r < p.repeats; r++) {
        const coldRun: number[] = [];
        for (let i = 0; i < p.coldCalls; i++) {
          const ws = createWorkspace({ root, env: {}, defaultTimezone: TIMEZONE, includeTimeContext: true });
          const t = performance.now();
          const prompt = await ws.buildSystemPrompt({ role: ROLE });
          coldRun.push(performance.now() - t);
          shape = {
            chars: prompt.chars,
            files: prompt.files.length,
            truncated: prompt.files.filter((f) => f.truncated).length,
          };
        }
        const ws = createWorkspace({ root, env: {}, defaultTimezone: TIMEZONE, includeTimeContext: true });
        await ws.buildSystemPrompt({ role: ROLE });
        const cachedRun: number[] = [];
        for (let i = 0; i < p.cachedCalls; i++) {
          const t = performance.now();
          await ws.buildSystemPrompt({ role: ROLE });
          cachedRun.push(performance.now() - t);
        }
        cold.push(coldRun);
        cached.push(cachedRun);
      }
      for (const [mode, runs, calls] of [
        ['cold', cold, p.coldCalls],
        ['cached', cached, p.cachedCalls],
      ] as const) {
        rows.push({
          workspace: name,
          mode,
          p50: spread(runs.map((x) => percentiles(x).p50)),
          p95: spread(runs.map((x) => percentiles(x).p95)),
          calls,
          promptChars: shape.chars,
          files: shape.files,
          truncatedFiles: shape.truncated,
        });
      }
      ctx.log(
        `  ${name}: cold p50 ${fmt(rows.at(-2)?.p50.median ?? NaN)} ms, cached p50 ${fmt(rows.at(-1)?.p50.median ?? NaN)} ms`,
      );
    }
    const markdown = [
      table(
        [
          'workspace',
          'cache',
          'p50 ms',
          'p95 ms',
          'calls/repeat',
          'prompt chars',
          'files in prompt',
          'files cut at 20k chars',
        ],
        rows.map((r) => [
          r.workspace,
          r.mode,
          fmtSpread(r.p50),
          fmtSpread(r.p95),
          String(r.calls),
          fmt(r.promptChars, 0),
          String(r.files),
          String(r.truncatedFiles),
        ]),
      ),
      '',
      `The large workspace is generated under bench/.out/ (${fmt(diskBytes / 1024 / 1024, 1)} MB on disk): the repo's files, ` +
        `${p.skills} skills of ~1.5 KB each, and MEMORY.md plus yesterday's and today's logs sharing ${fmt(p.memoryBytes / 1024 / 1024, 0)} MB — ` +
        'every memory file the prompt reads, each cut to 20,000 characters. "Cold" is a fresh workspace object (every file read ' +
        'and every skill parsed; the OS page cache is warm); "cached" reuses one (a stat per file, parses reused). ' +
        'The turn pays this once, in the `loadWorkspace` activity.',
    ].join('\n');
    const chart = barChart({
      title: 'Prompt assembly p50',
      yLabel: 'ms (p50)',
      categories: [...new Set(rows.map((r) => r.workspace.split(' (')[0] as string))],
      series: (['cold', 'cached'] as const).map((mode) => ({
        name: mode,
        values: rows
          .filter((r) => r.mode === mode)
          .map((r) => ({ value: r.p50.median, lo: r.p50.min, hi: r.p50.max })),
      })),
    });
    return {
      markdown,
      charts: [{ file: 'workspace.svg', title: 'Prompt assembly p50, cold and cached', svg: chart }],
      targets: [],
      data: { rows, large: { skills: p.skills, memoryBytes: p.memoryBytes, diskBytes } },
    };
  },
};

/** The small workspace plus generated skills and memory; rewritten every run so the dates are today's. */
function writeLargeWorkspace(small: string, root: string, skills: number, memoryBytes: number): number {
  fs.rmSync(root, { recursive: true, force: true });
  fs.cpSync(small, root, { recursive: true });
  let bytes = 0;
  const write = (rel: string, content: string) => {
    const file = path.join(root, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
    bytes += Buffer.byteLength(content);
  };
  for (let i = 1; i <= skills; i++) {
    const name = `skill-${String(i).padStart(3, '0')}`;
    const body = Array.from(
      { length: 12 },
      (_, l) =>
        `${l + 1}. When the request touches area ${i}, step ${l + 1}: check the task list, then act and report what changed.`,
    ).join('\n');
    write(
      `skills/${name}/SKILL.md`,
      `---\nname: ${name}\ndescription: Generated skill ${i} for the workspace benchmark.\nmetadata: {"openclaw":{"emoji":"🧪"}}\n---\n\n${body}\n`,
    );
  }
  const dates = memoryDates(new Date(), TIMEZONE);
  const line = (i: number) =>
    `- ${String(i).padStart(6, '0')} noted: the customer asked for the weekly report; follow up on Friday.\n`;
  const fill = (size: number) => {
    let out = '';
    for (let i = 0; out.length < size; i++) out += line(i);
    return out.slice(0, size);
  };
  write('MEMORY.md', `# Long-term memory\n\n${fill(memoryBytes / 2)}`);
  write(dailyMemoryFile(dates.yesterday), fill(memoryBytes / 4));
  write(dailyMemoryFile(dates.today), fill(memoryBytes / 4));
  return bytes;
}
