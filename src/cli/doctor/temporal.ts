/** Doctor: Temporal answers for the namespace, and a live worker polls both sides of the task queue. */
import type { Client } from '@temporalio/client';
import type { Config } from '../../config';
import { describePollers, POLLER_FRESH_MS, type TaskQueuePollers } from '../../clients/temporal/task-queue';
import {
  checkSearchAttributes,
  operatorConnection,
  searchAttributeProblem,
} from '../../clients/temporal/search-attributes';
import { errorMessage } from '../output';
import { withTemporalClient } from '../temporal';
import { notChecked, type DoctorCheck } from './check';

export async function checkTemporal(
  config: Config,
  client: Client | undefined,
  timeoutMs: number,
): Promise<DoctorCheck[]> {
  const { address, namespace } = config.temporal;
  try {
    return await withTemporalClient(
      config,
      client,
      async (c) => {
        try {
          await c.withDeadline(Date.now() + timeoutMs, () =>
            c.workflowService.describeNamespace({ namespace }),
          );
        } catch (err) {
          return [
            {
              name: 'temporal',
              status: 'fail',
              reason: `namespace '${namespace}' at ${address} could not be described: ${errorMessage(err)}`,
            },
            notChecked('worker', 'Temporal did not answer'),
          ];
        }
        const connection = operatorConnection(c.connection);
        const problem = connection
          ? await checkSearchAttributes(connection, namespace, timeoutMs).then(
              (report) => searchAttributeProblem(report, namespace),
              (err: unknown) => `could not list the namespace's search attributes: ${errorMessage(err)}`,
            )
          : undefined;
        const ok: DoctorCheck = problem
          ? { name: 'temporal', status: 'fail', reason: problem }
          : { name: 'temporal', status: 'ok', reason: `namespace '${namespace}' at ${address}` };
        return [ok, await checkWorker(c, config, timeoutMs)];
      },
      timeoutMs,
    );
  } catch (err) {
    return [
      { name: 'temporal', status: 'fail', reason: errorMessage(err) },
      notChecked('worker', 'Temporal not reachable'),
    ];
  }
}

async function checkWorker(c: Client, config: Config, timeoutMs: number): Promise<DoctorCheck> {
  const { namespace, taskQueue } = config.temporal;
  let queue: TaskQueuePollers;
  try {
    queue = await describePollers(c, { namespace, taskQueue, timeoutMs });
  } catch (err) {
    return {
      name: 'worker',
      status: 'fail',
      reason: `could not describe task queue '${taskQueue}': ${errorMessage(err)}`,
    };
  }
  const { workflow: wf, activity: act } = queue;
  const pollers = [...wf, ...act];
  const identities = [...new Set(pollers.map((p) => p.identity ?? 'unknown'))];
  if (identities.length === 0) {
    return {
      name: 'worker',
      status: 'fail',
      reason: `no worker is polling task queue '${taskQueue}' in namespace '${namespace}': start one (npm run worker) with the same CLASPER_TASK_QUEUE`,
    };
  }
  const count = `${identities.length} worker${identities.length === 1 ? '' : 's'} polling task queue '${taskQueue}' (${identities.join(', ')})`;
  if (wf.length === 0 || act.length === 0) {
    const missing = wf.length === 0 ? 'workflow' : 'activity';
    return { name: 'worker', status: 'warn', reason: `${count}, but none takes ${missing} tasks` };
  }
  const lastSeen = Math.max(...pollers.map((p) => p.lastAccessMs));
  const ageMs = Date.now() - lastSeen;
  if (lastSeen > 0 && ageMs > POLLER_FRESH_MS) {
    return {
      name: 'worker',
      status: 'warn',
      reason: `${count}, but the last poll was ${Math.round(ageMs / 1000)}s ago: the worker may have stopped`,
    };
  }
  return { name: 'worker', status: 'ok', reason: count };
}
