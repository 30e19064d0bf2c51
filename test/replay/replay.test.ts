/**
 * Replay safety: the histories of real runs of every workflow type (test/fixtures/histories/,
 * recorded by `npm run histories:record`) are replayed against the workflow code as it is now. A
 * change that would make an in-flight workflow take a different path — a new or reordered
 * activity, a changed activity type, a removed timer — fails here instead of in production. The
 * fix is `patched()` (or re-recording, when no old workflow can still be running): see
 * test/fixtures/histories/README.md.
 */
import fs from 'node:fs';
import path from 'node:path';
import { WorkflowType } from '../../src/shared/workflow-types';
import { Worker, DefaultLogger, Runtime } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import { unboundedActivities } from '../reliability/lib/histories';
import { workerTracing } from '../../src/worker/tracing';

const FIXTURES = path.join(__dirname, '../fixtures/histories');
const WORKFLOWS_INDEX = path.join(__dirname, '../../src/workflows/index.ts');

interface Entry {
  file: string;
  workflowId: string;
  workflowType: string;
  description: string;
}

type History = ReturnType<typeof historyFromJSON>;

function manifest(): Entry[] {
  return (JSON.parse(fs.readFileSync(path.join(FIXTURES, 'index.json'), 'utf8')) as { histories: Entry[] })
    .histories;
}

function load(file: string): History {
  return historyFromJSON(JSON.parse(fs.readFileSync(path.join(FIXTURES, file), 'utf8')));
}

/** Every fixture: the manifest's, plus any history JSON dropped in from the UI (`Download`). */
function allFixtures(): { workflowId: string; file: string }[] {
  const listed = manifest();
  const extra = fs
    .readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.json') && f !== 'index.json' && !listed.some((e) => e.file === f))
    .map((file) => ({ file, workflowId: `replay/${file}` }));
  return [...listed.map((e) => ({ file: e.file, workflowId: e.workflowId })), ...extra];
}

async function replay(
  items: { workflowId: string; history: History }[],
): Promise<{ workflowId: string; error?: string }[]> {
  const bundlePath = process.env.CLASPER_TEST_WORKFLOW_BUNDLE;
  if (!bundlePath) throw new Error('the jest global setup did not bundle the workflows');
  const out: { workflowId: string; error?: string }[] = [];
  // The worker's span sink (a drop, tracing being off here): traced histories call it.
  const { sinks } = await workerTracing();
  for await (const result of Worker.runReplayHistories(
    { workflowBundle: { codePath: bundlePath }, sinks },
    items,
  )) {
    out.push({
      workflowId: result.workflowId,
      ...(result.error ? { error: `${result.error.name}: ${result.error.message}` } : {}),
    });
  }
  return out;
}

const E = temporal.api.enums.v1.EventType;

/** Events of one type in a recorded history. */
function count(file: string, type: temporal.api.enums.v1.EventType): number {
  return (load(file).events ?? []).filter((e) => e.eventType === type).length;
}

/** How many activities of this type the history scheduled (regular activities; local ones are markers). */
function scheduled(file: string, activityType: string): number {
  return (load(file).events ?? []).filter(
    (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activityType,
  ).length;
}

describe('replay of recorded histories against the current workflow code', () => {
  beforeAll(() => {
    try {
      // Core logs the deliberate non-determinism below as a WARN; only errors are worth showing.
      Runtime.install({
        logger: new DefaultLogger('WARN'),
        telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
      });
    } catch {
      // another file in this jest worker installed it already
    }
  });

  it('every workflow type the worker hosts has at least one recorded history', () => {
    // Every name callers start workflows by, and every workflow the index exports (`export { a, b }`).
    const exportList = /export\s*\{([^}]*)\}/.exec(fs.readFileSync(WORKFLOWS_INDEX, 'utf8'))?.[1] ?? '';
    const exportedNames = exportList
      .split(',')
      .map((n) => n.trim())
      .filter(Boolean);
    expect(exportedNames.sort()).toEqual(Object.values(WorkflowType).sort());
    const exported = Object.values(WorkflowType);
    const recorded = new Set(manifest().map((e) => e.workflowType));
    expect(exported.length).toBeGreaterThan(0);
    // A new workflow type needs `npm run histories:record` (see the fixtures README).
    expect(exported.filter((t) => !recorded.has(t as string))).toEqual([]);
  });

  it('every recorded history replays without a non-determinism error', async () => {
    const items = allFixtures().map(({ workflowId, file }) => ({ workflowId, history: load(file) }));
    expect(items.length).toBeGreaterThan(0);
    const results = await replay(items);
    expect(results.filter((r) => r.error)).toEqual([]);
    expect(results).toHaveLength(items.length);
  });

  it('every activity any workflow type schedules has a bounded retry policy (attempts or schedule-to-close)', () => {
    const all = allFixtures().map(({ workflowId, file }) => ({ workflowId, history: load(file) }));
    expect(unboundedActivities(all)).toEqual([]);
  });

  it('the approval, cancel, streaming and traced histories hold the paths they stand for', () => {
    // Two decisions as updates, their timers cancelled; two timeouts as fired timers; a cancel.
    expect(count('agentTurn-approvals.json', E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED)).toBe(2);
    expect(count('agentTurn-approvals.json', E.EVENT_TYPE_TIMER_CANCELED)).toBe(2);
    expect(count('agentTurn-approval-timeout.json', E.EVENT_TYPE_TIMER_FIRED)).toBe(2);
    expect(count('agentTurn-cancelled.json', E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)).toBe(1);
    expect(count('agentTurn-cancelled.json', E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED)).toBe(1);
    // A streamed turn: the model's text arrived as streamText signals.
    expect(count('agentTurn-streamed.json', E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)).toBeGreaterThan(1);
    // A traced turn: the start and each activity carry the trace context; an untraced one none.
    const traceHeaders = (file: string) =>
      (load(file).events ?? []).filter(
        (e) =>
          e.workflowExecutionStartedEventAttributes?.header?.fields?.['_tracer-data'] ??
          e.activityTaskScheduledEventAttributes?.header?.fields?.['_tracer-data'],
      ).length;
    expect(traceHeaders('agentTurn-traced.json')).toBeGreaterThan(3);
    expect(traceHeaders('agentTurn-tools.json')).toBe(0);
  });

  it('the session and budget histories hold the paths they stand for', () => {
    // Four turns as children, one after the other; five submits (the steer too) as updates; the
    // interrupt as a signal and a cancel request to the running turn; the idle end.
    expect(count('session.json', E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED)).toBe(4);
    expect(count('session.json', E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED)).toBe(5);
    expect(count('session.json', E.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED)).toBe(1);
    expect(count('session.json', E.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED)).toBe(1);
    expect(count('session.json', E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED)).toBe(1);
    // The steered turn took one steer update and called the model twice.
    expect(count('agentTurn-steered.json', E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED)).toBe(1);
    expect(scheduled('agentTurn-steered.json', 'callModel')).toBe(2);
    // The interrupted turn: the reason signal, the cancel, and the end as cancelled.
    expect(count('agentTurn-interrupted.json', E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)).toBe(1);
    expect(count('agentTurn-interrupted.json', E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED)).toBe(1);
    // A budget: the override set and one model call charged, both updates.
    expect(count('budget.json', E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED)).toBe(2);
  });

  it('would catch a change: a history whose first activity has another type fails to replay', async () => {
    // Proves the guard is armed: the recorded histories carry the SDK flags that turn on the
    // activity id/type checks, so a workflow now scheduling something else is a determinism error.
    const entry = manifest().find((e) => e.workflowType === 'agentTurn');
    if (!entry) throw new Error('no agentTurn history recorded');
    const history = load(entry.file);
    const scheduled = (history.events ?? []).find(
      (e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
    );
    const attrs = scheduled?.activityTaskScheduledEventAttributes;
    if (!attrs?.activityType) throw new Error('the agentTurn history has no scheduled activity');
    attrs.activityType.name = `${attrs.activityType.name}Renamed`;

    const [result] = await replay([{ workflowId: entry.workflowId, history }]);
    expect(result?.error).toMatch(/DeterminismViolation|Nondeterminism|TMPRL1100/i);
  });
});
