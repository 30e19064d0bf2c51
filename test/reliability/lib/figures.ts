/**
 * What a scenario run reports: the numbers docs/reliability.md prints and the assertions the small
 * versions in `make test` make. A scenario never throws for a broken promise; it reports it here,
 * so the large run can print the whole picture and the test can say exactly what broke.
 */
import { describeFindings, scanText, type NamedSecret, type SecretFinding } from './secrets';
import { failedWorkflowTasks, scanHistories, unboundedActivities, type RecordedHistory } from './histories';
import type { ScenarioStack, TurnOutcome } from './scenario-stack';
import { checkWrites, type PlannedTurn, type WriteCheck } from './turn-plan';

export interface ScenarioFigures {
  scenario: string;
  n: number;
  /** Faults injected, by kind. */
  faults: Record<string, number>;
  completed: number;
  /** Turns whose defined outcome is a failure (model faults: empty-forever, quota) and that failed so. */
  failedAsDefined?: number;
  /** Turns that did not end as defined: failed, or still running at the deadline. */
  lost: number;
  /** Expected backend writes that are not there. */
  missingWrites: number;
  /** Backend writes made more than once. */
  duplicated: number;
  /** Backend writes no turn should have made. */
  unexpectedWrites: number;
  durationMs: number;
  /** Everything that broke a promise, one line each; empty when the run is clean. */
  problems: string[];
  /** Free-form facts worth printing (attempt counts, restart downtime). */
  notes: string[];
}

export function totalFaults(f: ScenarioFigures): number {
  return Object.values(f.faults).reduce((a, b) => a + b, 0);
}

export interface Evidence {
  turns: PlannedTurn[];
  outcomes: Map<string, TurnOutcome>;
  writes?: WriteCheck;
  histories: RecordedHistory[];
  stack: ScenarioStack;
}

/** Secrets in histories, worker output and API log lines. */
export function secretFindings(
  stack: ScenarioStack,
  histories: RecordedHistory[],
  secrets: NamedSecret[] = stack.secrets,
): SecretFinding[] {
  const findings = scanHistories(histories, secrets);
  for (const out of stack.workers.output()) {
    findings.push(...scanText(`worker ${out.pid} stdout`, out.stdout, secrets));
    findings.push(...scanText(`worker ${out.pid} stderr`, out.stderr, secrets));
  }
  findings.push(...scanText('api log', stack.apiLog.join(''), secrets));
  return findings;
}

/** The figures every turn-plan scenario shares: outcomes, writes, and the history/log checks. */
export async function planFigures(
  scenario: string,
  startedAt: number,
  faults: Record<string, number>,
  ev: Omit<Evidence, 'writes'>,
): Promise<ScenarioFigures> {
  const writes = checkWrites(ev.turns, await ev.stack.inspect());
  const problems: string[] = [];
  let completed = 0;
  for (const t of ev.turns) {
    const o = ev.outcomes.get(t.turnId);
    if (o?.state === 'completed' && o.result.response === `Done ${t.tag}`) completed += 1;
    else problems.push(`turn ${t.turnId} did not complete as planned: ${JSON.stringify(o).slice(0, 300)}`);
  }
  problems.push(...writes.missing.map((k) => `missing write ${k}`));
  problems.push(...writes.duplicated.map((k) => `duplicated write ${k}`));
  problems.push(...writes.unexpected.map((k) => `unexpected write ${k}`));
  problems.push(...unboundedActivities(ev.histories));
  problems.push(...failedWorkflowTasks(ev.histories));
  const leaks = secretFindings(ev.stack, ev.histories);
  if (leaks.length > 0) problems.push(`secrets found:\n${describeFindings(leaks)}`);
  return {
    scenario,
    n: ev.turns.length,
    faults,
    completed,
    lost: ev.turns.length - completed,
    missingWrites: writes.missing.length,
    duplicated: writes.duplicated.length,
    unexpectedWrites: writes.unexpected.length,
    durationMs: Date.now() - startedAt,
    problems,
    notes: [],
  };
}

/** A seeded PRNG (mulberry32), so a run's choices can be repeated from its printed seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
