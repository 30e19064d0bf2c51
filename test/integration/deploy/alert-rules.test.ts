/**
 * Prometheus's own tool checks the alert rules under deploy/: `promtool check rules` loads them as
 * a Prometheus server would, and `promtool test rules` runs deploy/prometheus/clasper-alerts.test.yml,
 * whose cases feed synthetic series and expect each alert to fire (labels and rendered annotations)
 * or stay quiet. promtool is Debian's, fetched by scripts/ensure-promtool.sh (make test runs it first).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RULES_PATH, readRules } from '../../support/deploy-observability';

const REPO_ROOT = path.resolve(__dirname, '../../..');
const RULES_TEST_PATH = path.join(path.dirname(RULES_PATH), 'clasper-alerts.test.yml');

function promtoolPath(): string {
  return execFileSync('bash', [path.join(REPO_ROOT, 'scripts/ensure-promtool.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
}

function promtool(args: string[], cwd?: string): { status: number | null; output: string } {
  const run = spawnSync(promtoolPath(), args, { encoding: 'utf8', cwd });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** A copy of the rules and their tests in a temporary folder, the rules changed by `edit`. */
function editedCopy(edit: (rules: string) => string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clasper-rules-'));
  fs.writeFileSync(path.join(dir, 'clasper-alerts.yml'), edit(fs.readFileSync(RULES_PATH, 'utf8')));
  fs.copyFileSync(RULES_TEST_PATH, path.join(dir, 'clasper-alerts.test.yml'));
  return dir;
}

describe('deploy/prometheus under promtool', () => {
  it('loads every rule: promtool check rules', () => {
    const rules = (readRules().groups ?? []).flatMap((g) => g.rules ?? []);
    expect(rules.length).toBeGreaterThan(0);
    const run = promtool(['check', 'rules', RULES_PATH]);
    expect(run.output).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(run.status).toBe(0);
  });

  it('fires the alerts its unit tests expect: promtool test rules', () => {
    const run = promtool(['test', 'rules', RULES_TEST_PATH]);
    expect(run.output).toContain('SUCCESS');
    expect(run.status).toBe(0);
  });

  it('the check fails on a broken expression', () => {
    const dir = editedCopy((r) => r.replace('> 120000', '> > 120000'));
    const run = promtool(['check', 'rules', path.join(dir, 'clasper-alerts.yml')]);
    expect(run.status).not.toBe(0);
    expect(run.output).toMatch(/parse error|FAILED/);
  });

  it('the unit tests fail when a threshold moves: a 60% turn failure rate no longer alerts at 50%', () => {
    const dir = editedCopy((r) => r.replace(/\) > 0\.1\n/, ') > 0.6\n'));
    expect(fs.readFileSync(path.join(dir, 'clasper-alerts.yml'), 'utf8')).toContain(') > 0.6');
    const run = promtool(['test', 'rules', 'clasper-alerts.test.yml'], dir);
    expect(run.status).not.toBe(0);
    expect(run.output).toContain('alertname: ClasperTurnFailureRateHigh');
  });
});
