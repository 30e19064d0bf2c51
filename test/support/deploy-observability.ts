/**
 * Reads the dashboards and alert rules under deploy/ and parses their PromQL with the Prometheus
 * project's own grammar (@prometheus-io/lezer-promql, what the Prometheus UI uses), for the unit
 * test of those files and the e2e test that scrapes a real worker and API.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { LRParser } from '@lezer/lr' with { 'resolution-mode': 'import' };
import { parse as parseYaml } from 'yaml';
import { REPO_ROOT } from '../../scripts/lib/temporal-dev-server';

// The package is ESM with a CommonJS build; jest runs this file as CommonJS.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { parser } = require('@prometheus-io/lezer-promql') as { parser: LRParser };

export const DASHBOARD_PATH = path.join(REPO_ROOT, 'deploy/grafana/clasper-dashboard.json');
export const RULES_PATH = path.join(REPO_ROOT, 'deploy/prometheus/clasper-alerts.yml');

export interface AlertRule {
  alert?: string;
  record?: string;
  expr?: unknown;
  for?: unknown;
  labels?: Record<string, unknown>;
  annotations?: Record<string, unknown>;
}
export interface RulesFile {
  groups?: { name?: unknown; rules?: AlertRule[] }[];
}
export interface DashboardPanel {
  id?: unknown;
  type?: unknown;
  title?: unknown;
  gridPos?: { x: number; y: number; w: number; h: number };
  targets?: { refId?: unknown; expr?: unknown }[];
}
export interface Dashboard {
  title?: unknown;
  uid?: unknown;
  schemaVersion?: unknown;
  templating?: { list?: { name?: unknown; type?: unknown }[] };
  panels?: DashboardPanel[];
}

export function readRules(): RulesFile {
  return parseYaml(fs.readFileSync(RULES_PATH, 'utf8')) as RulesFile;
}

export function readDashboard(): Dashboard {
  return JSON.parse(fs.readFileSync(DASHBOARD_PATH, 'utf8')) as Dashboard;
}

/** Every PromQL expression in deploy/, with where it is; Grafana variables replaced by sample values. */
export function deployExpressions(): { where: string; expr: string }[] {
  const out: { where: string; expr: string }[] = [];
  for (const group of readRules().groups ?? [])
    for (const rule of group.rules ?? [])
      out.push({ where: `rule ${rule.alert ?? rule.record}`, expr: String(rule.expr) });
  for (const panel of readDashboard().panels ?? [])
    for (const target of panel.targets ?? [])
      out.push({
        where: `panel "${String(panel.title)}" ${String(target.refId)}`,
        expr: String(target.expr).replaceAll('$__rate_interval', '5m').replaceAll('$task_queue', '.*'),
      });
  return out;
}

export interface Selector {
  metric: string;
  labels: string[];
}

/** Parses one expression: its syntax errors (offsets) and the metric selectors it uses. */
export function parsePromql(expr: string): { errors: number[]; selectors: Selector[] } {
  const errors: number[] = [];
  const selectors: Selector[] = [];
  const cursor = parser.parse(expr).cursor();
  do {
    if (cursor.type.isError) errors.push(cursor.from);
    if (cursor.type.name !== 'VectorSelector') continue;
    const node = cursor.node;
    const metric = node.getChild('Identifier');
    if (!metric) continue;
    const labels: string[] = [];
    for (const matcher of node.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ?? []) {
      const name = matcher.getChild('LabelName');
      if (name) labels.push(expr.slice(name.from, name.to));
    }
    selectors.push({ metric: expr.slice(metric.from, metric.to), labels });
  } while (cursor.next());
  return { errors, selectors };
}

/** Every metric selector used in deploy/. */
export function deploySelectors(): (Selector & { where: string })[] {
  return deployExpressions().flatMap(({ where, expr }) =>
    parsePromql(expr).selectors.map((s) => ({ ...s, where })),
  );
}
