/**
 * The bench harness end to end on a few turns (`--quick` sized): real worker and API processes on
 * the jest dev server, the baseline beside them, the report written to a temp dir. It checks the
 * harness produces sane numbers, not how fast anything is.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runBench } from '../../bench/lib/runner';
import type { Scenario } from '../../bench/lib/scenario';
import { historySize, type HistoryRow } from '../../bench/scenarios/history-size';
import { turnLatency, type LatencyRow } from '../../bench/scenarios/turn-latency';

describe('bench harness (quick)', () => {
  it('measures turn latency and history size and writes the report', async () => {
    const address = process.env.CLASPER_TEST_TEMPORAL_ADDRESS;
    const bundle = process.env.CLASPER_TEST_WORKFLOW_BUNDLE;
    if (!address || !bundle)
      throw new Error('the jest global setup did not start Temporal / bundle workflows');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clasper-bench-smoke-'));
    try {
      const report = await runBench({
        scenarios: [turnLatency, historySize] as Scenario[],
        quick: true,
        resultsPath: path.join(dir, 'RESULTS.md'),
        outDir: path.join(dir, '.out'),
        temporalAddress: address,
        workflowBundlePath: bundle,
        log: () => undefined,
      });
      expect(report.reports.map((r) => r.error)).toEqual([undefined, undefined]);

      const latency = report.reports[0]?.output?.data as { rows: LatencyRow[] };
      expect(latency.rows.length).toBeGreaterThan(0);
      for (const row of latency.rows) {
        expect(row.failed).toBe(0);
        expect(row.durable.p50.median).toBeGreaterThan(0);
        expect(row.baseline.p50.median).toBeGreaterThan(0);
        expect(row.ratio.p50.median).toBeGreaterThan(0);
      }

      const history = report.reports[1]?.output?.data as { rows: HistoryRow[] };
      expect(history.rows.length).toBeGreaterThan(0);
      for (const row of history.rows) {
        expect(row.events.median).toBeGreaterThan(10);
        expect(row.bytes.median).toBeGreaterThan(1000);
      }
      // More tool calls, more history.
      expect(history.rows.at(-1)?.events.median).toBeGreaterThan(history.rows[0]?.events.median ?? Infinity);

      const markdown = fs.readFileSync(path.join(dir, 'RESULTS.md'), 'utf8');
      expect(markdown).toContain('## Machine and versions');
      expect(markdown).toContain('## 1. Turn latency');
      const charts = fs.readdirSync(path.join(dir, 'charts'));
      expect(charts.some((f) => f.endsWith('.svg'))).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    // Real worker and API processes started on a 2-core box shared with other runs: generous.
  }, 120_000);
});
