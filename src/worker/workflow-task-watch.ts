/**
 * The worker's gauge of stuck workflows: `clasper_workflows_failing_tasks{cause}`, running
 * workflows on its task queue whose workflow tasks keep failing, refreshed every interval from
 * the server's TemporalReportedProblems flag (src/clients/temporal/workflow-task-problems.ts).
 *
 * Beside it, Temporal's own `temporal_workflow_task_execution_failed{failure_reason}` counts the
 * failures this worker itself reports (NonDeterminismError, WorkflowError, PayloadsTooLarge); a
 * completion the server refuses (the 2,000 pending activities limit) is not counted there, which
 * is why the gauge reads the server's view. Every worker on the queue reports the same figures.
 */
import type { Client } from '@temporalio/client';
import type { MetricMeter } from '@temporalio/common';
import { findWorkflowTaskProblems } from '../clients/temporal/workflow-task-problems';

export const FAILING_TASKS_METRIC = 'clasper_workflows_failing_tasks';
export const WATCH_INTERVAL_MS = 30_000;

export interface WorkflowTaskWatch {
  /** One refresh now (the loop calls it every interval). */
  refresh(): Promise<void>;
  stop(): void;
}

export function watchWorkflowTasks(opts: {
  client: Client;
  taskQueue: string;
  meter: MetricMeter;
  intervalMs?: number;
  onError?: (message: string) => void;
}): WorkflowTaskWatch {
  const gauge = opts.meter.createGauge(
    FAILING_TASKS_METRIC,
    'int',
    'workflows',
    'Running workflows on this task queue whose workflow tasks keep failing, by cause',
  );
  const shown = new Set<string>();
  let lastError: string | undefined;
  const refresh = async () => {
    try {
      const { byCause } = await findWorkflowTaskProblems(opts.client, {
        taskQueue: opts.taskQueue,
        timeoutMs: 10_000,
      });
      // A cause that cleared goes back to 0 rather than keeping its last value.
      for (const cause of new Set([...shown, ...Object.keys(byCause)])) {
        gauge.set(byCause[cause] ?? 0, { cause });
        shown.add(cause);
      }
      lastError = undefined;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      // Once per distinct problem: a server without the attribute would otherwise log every interval.
      if (message !== lastError) opts.onError?.(message);
      lastError = message;
    }
  };
  let running = true;
  let timer: NodeJS.Timeout | undefined;
  const loop = () => {
    if (!running) return;
    void refresh().finally(() => {
      if (running) timer = setTimeout(loop, opts.intervalMs ?? WATCH_INTERVAL_MS);
    });
  };
  loop();
  return {
    refresh,
    stop() {
      running = false;
      if (timer) clearTimeout(timer);
    },
  };
}
