/**
 * Dispatcher: one run per tick of the `clasper-dispatcher` Schedule (overlap SKIP). Fetches the
 * undelivered notifications once, starts one `notificationTurn` child per delivery and returns at
 * once; the children outlive it (ABANDON). A child id that exists already, running or closed, means
 * an earlier tick handled that notification: counted, never an error. Malformed deliveries are
 * logged and counted, never fatal.
 */
import { log, proxyActivities, startChild, workflowInfo } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../activities';
import type { DispatcherInput, DispatchResult, NotificationDelivery } from '../shared/dispatch';
import { makeNotificationTurnId } from '../shared/ids';
import { turnSearchAttributes } from '../shared/search-attributes';
import { turnSummary } from '../shared/turn';
import type { notificationTurn } from './notification-turn';
import { HEARTBEAT_TIMEOUT } from './lib/liveness';
import { childTimeout } from './lib/child-timeouts';

// One poll: a backend that does not answer within two minutes fails this tick visibly; the next
// tick polls again, so there is nothing to gain from retrying longer here.
const poll = proxyActivities<Activities>({
  startToCloseTimeout: '45s',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  scheduleToCloseTimeout: '2m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '15s' },
});

type StartOutcome = 'started' | 'alreadyHandled';

export async function dispatcher(input: DispatcherInput = {}): Promise<DispatchResult> {
  const batch = await poll.fetchDeliveries.executeWithOptions(
    { summary: 'fetch undelivered notifications' },
    [],
  );
  for (const m of batch.malformed) {
    log.warn('malformed notification delivery skipped', {
      notification_id: m.notificationId,
      user_id: m.userId,
      reason: m.reason,
    });
  }
  const outcomes = await Promise.all(
    batch.deliveries.map((d) => startTurn(d, batch.maxToolIterations, input)),
  );
  const result: DispatchResult = {
    fetched: batch.fetched,
    started: outcomes.filter((o) => o === 'started').length,
    alreadyHandled: outcomes.filter((o) => o === 'alreadyHandled').length,
    malformed: batch.malformed.length,
    deferred: batch.deferred,
  };
  if (result.fetched > 0) log.info('dispatch tick', { ...result, workflow_id: workflowInfo().workflowId });
  return result;
}

async function startTurn(
  delivery: NotificationDelivery,
  maxToolIterations: number,
  input: DispatcherInput,
): Promise<StartOutcome> {
  const summary = turnSummary({ message: delivery.content, role: delivery.role, trigger: 'dispatcher' });
  try {
    await startChild<typeof notificationTurn>('notificationTurn', {
      workflowId: makeNotificationTurnId(delivery.notificationId),
      args: [{ delivery, maxToolIterations, ...(input.timeouts ? { timeouts: input.timeouts } : {}) }],
      ...childTimeout('notificationTurn', input.timeouts),
      // The notification's turn must not end with this short dispatch run.
      parentClosePolicy: 'ABANDON',
      // A closed run with this id (replied, maybe not yet acked) must never start a second reply.
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: turnSearchAttributes({ ...delivery, trigger: 'dispatcher' }),
      staticSummary: `notification ${delivery.notificationId} for ${delivery.userId}: ${summary}`,
    });
    return 'started';
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return 'alreadyHandled';
    throw err;
  }
}
