/**
 * The Grafana dashboard and the Prometheus alert rules under deploy/ are well-formed and only use
 * metrics we export: every expression parses with the Prometheus project's PromQL grammar, the
 * files have the shape Grafana and Prometheus load, every `clasper_*` metric is defined in src/,
 * and every `temporal_*` metric is one the Temporal Core SDK our worker runs emits (its name is in
 * the core-bridge native module). test/e2e/built-entry-points.test.ts scrapes a real worker and API
 * for the ones a turn produces, labels included.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  deployExpressions,
  deploySelectors,
  parsePromql,
  readDashboard,
  readRules,
} from '../../support/deploy-observability';

const ROOT = path.resolve(__dirname, '../../..');
const DURATION = /^(\d+(ms|s|m|h|d|w|y))+$/;
const HISTOGRAM_SUFFIX = /_(bucket|count|sum)$/;

function sourceFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.join(e.parentPath, e.name));
}

/** Metric names defined in src/ as string literals ('clasper_…'). */
function clasperMetrics(): Set<string> {
  const names = new Set<string>();
  for (const file of sourceFiles(path.join(ROOT, 'src')))
    for (const m of fs.readFileSync(file, 'utf8').matchAll(/['"`](clasper_[a-z0-9_]+)['"`]/g))
      names.add(m[1] as string);
  return names;
}

/** The Core SDK's native module: Temporal's worker metric names are compiled into it. */
function coreBridgeBinary(): Buffer {
  const releases = path.join(
    path.dirname(require.resolve('@temporalio/core-bridge/package.json')),
    'releases',
  );
  const first = fs
    .readdirSync(releases, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => path.join(releases, e.name, 'index.node'))
    .find((f) => fs.existsSync(f));
  if (!first) throw new Error(`no core-bridge native module under ${releases}`);
  return fs.readFileSync(first);
}

describe('deploy/prometheus/clasper-alerts.yml', () => {
  const rules = readRules();
  const all = (rules.groups ?? []).flatMap((g) => g.rules ?? []);

  it('has named groups of alerting rules, each with a for, a severity, a summary and a description', () => {
    expect(rules.groups?.length).toBeGreaterThan(0);
    for (const group of rules.groups ?? []) {
      expect(typeof group.name).toBe('string');
      expect(group.rules?.length).toBeGreaterThan(0);
    }
    for (const rule of all) {
      expect(rule.alert).toMatch(/^Clasper[A-Z][A-Za-z0-9]+$/);
      expect(typeof rule.expr).toBe('string');
      expect(String(rule.for)).toMatch(DURATION);
      expect(['critical', 'warning', 'info']).toContain(rule.labels?.severity);
      expect(String(rule.annotations?.summary ?? '')).not.toBe('');
      expect(String(rule.annotations?.description ?? '').length).toBeGreaterThan(40);
    }
    const names = all.map((r) => r.alert);
    expect(new Set(names).size).toBe(names.length);
  });

  it('alerts on turns, failures, latency, cost, tools, workflow tasks, dispatch lag and schedules', () => {
    expect(all.map((r) => r.alert).sort()).toEqual([
      'ClasperDispatchLagHigh',
      'ClasperDispatcherNotPolling',
      'ClasperModelCallsUnpriced',
      'ClasperModelCostHigh',
      'ClasperScheduledRunsFailing',
      'ClasperTaskBacklog',
      'ClasperToolFailureRateHigh',
      'ClasperTurnFailureRateHigh',
      'ClasperTurnLatencyP95High',
      'ClasperWorkflowTaskFailures',
    ]);
  });
});

describe('deploy/grafana/clasper-dashboard.json', () => {
  const dashboard = readDashboard();
  const panels = dashboard.panels ?? [];

  it('is an importable dashboard: uid, schema version, a Prometheus data source variable, laid-out panels', () => {
    expect(dashboard.uid).toBe('clasper-overview');
    expect(typeof dashboard.title).toBe('string');
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.templating?.list).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'datasource', type: 'datasource' })]),
    );
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of panels) {
      expect(typeof p.title).toBe('string');
      const { x, y, w, h } = p.gridPos ?? { x: -1, y: -1, w: 0, h: 0 };
      expect(x >= 0 && x + w <= 24 && y >= 0 && h > 0).toBe(true);
      if (p.type === 'row') continue;
      expect(['timeseries', 'stat']).toContain(p.type);
      expect(p.targets?.length).toBeGreaterThan(0);
      const refIds = (p.targets ?? []).map((t) => t.refId);
      expect(new Set(refIds).size).toBe(refIds.length);
    }
  });

  it('has a panel for each concern the alerts cover', () => {
    const titles = panels.map((p) => String(p.title)).join('\n');
    for (const word of [
      /turn rate/i,
      /failure rate/i,
      /p95/,
      /tokens/i,
      /cost/i,
      /tool/i,
      /workflow task failures/i,
      /undelivered/i,
      /scheduled runs/i,
    ])
      expect(titles).toMatch(word);
  });
});

describe('the PromQL in deploy/', () => {
  const expressions = deployExpressions();

  it('parses: no syntax error in any expression', () => {
    expect(expressions.length).toBeGreaterThan(25);
    const broken = expressions
      .map((e) => ({ ...e, errors: parsePromql(e.expr).errors }))
      .filter((e) => e.errors.length > 0)
      .map((e) => `${e.where}: error at ${e.errors[0]} in ${e.expr}`);
    expect(broken).toEqual([]);
  });

  it('the grammar catches a broken expression (so the check above can fail)', () => {
    expect(parsePromql('sum(rate(clasper_tool_calls[5m])').errors.length).toBeGreaterThan(0);
    expect(parsePromql('rate(clasper_tool_calls[5m]) >').errors.length).toBeGreaterThan(0);
  });

  it('uses only metrics we export: clasper_* from src/, temporal_* from the Core SDK', () => {
    const defined = clasperMetrics();
    const core = coreBridgeBinary();
    const unknown = new Set<string>();
    const used = new Set<string>();
    for (const { metric, where } of deploySelectors()) {
      used.add(metric);
      const base = metric.replace(HISTOGRAM_SUFFIX, '');
      if (metric.startsWith('clasper_')) {
        if (!defined.has(metric) && !defined.has(base)) unknown.add(`${where}: ${metric}`);
      } else if (metric.startsWith('temporal_')) {
        if (!core.includes(Buffer.from(base.slice('temporal_'.length)))) unknown.add(`${where}: ${metric}`);
      } else {
        unknown.add(`${where}: ${metric} (neither clasper_ nor temporal_)`);
      }
    }
    expect([...unknown]).toEqual([]);
    // The dispatch lag and the model metrics are all used somewhere.
    for (const name of [
      'clasper_dispatch_oldest_undelivered_age_seconds',
      'clasper_dispatch_last_poll_timestamp_seconds',
      'clasper_dispatch_polls',
      'clasper_dispatch_deliveries',
      'clasper_model_tokens',
      'clasper_model_cost_micro_usd',
      'clasper_tool_calls',
      'temporal_workflow_task_execution_failed',
    ])
      expect(used).toContain(name);
  });

  it('the name check can fail: a made-up metric is not found', () => {
    expect(clasperMetrics().has('clasper_made_up_total')).toBe(false);
    expect(coreBridgeBinary().includes(Buffer.from('workflow_made_up_latency'))).toBe(false);
  });
});
