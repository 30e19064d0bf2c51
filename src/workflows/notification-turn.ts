/**
 * NotificationTurn (`notification/<notification_id>`): one backend notification → one agent turn →
 * one ack. Started by the dispatcher with REJECT_DUPLICATE, so a notification gets at most one of
 * these however often polls overlap; the turn runs as a child `agentTurn` (`…/turn`) whose reply
 * key derives from that id, so even a reset of this workflow cannot post a second reply.
 *
 * The ack comes after the turn settles, whatever its outcome: this id can never start again, so a
 * notification left undelivered would only come back on every poll (and take one of the user's
 * DISPATCH_LIMIT_NOTIFICATIONS slots) without ever being answered. A failed turn fails this
 * workflow after the ack, so it stays visible and resettable in the UI.
 */
import {
  CancellationScope,
  ChildWorkflowFailure,
  executeChild,
  isCancellation,
  log,
  proxyActivities,
  workflowInfo,
  ApplicationFailure,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../activities';
import { WorkflowType, type AgentTurnWorkflow } from '../shared/workflow-types';
import type { NotificationTurnInput, NotificationTurnResult } from '../shared/dispatch';
import { makeChildTurnId } from '../shared/ids';
import { turnSearchAttributes } from '../shared/search-attributes';
import { describeFailure } from '../shared/failures';
import { turnSummary, type AgentTurnInput, type AgentTurnResult } from '../shared/turn';
import { HEARTBEAT_TIMEOUT } from './lib/liveness';
import { childTimeout } from './lib/child-timeouts';

// The ack must land or the notification is answered for nothing: unlimited attempts (the default
// maximumAttempts), backing off to 5 min, bounded only by a 7-day schedule-to-close so a backend
// that is down for days is still acked when it returns. 404 and a fixed token are handled in the activity.
const ack = proxyActivities<Activities>({
  startToCloseTimeout: '45s',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  scheduleToCloseTimeout: '7d',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5m' },
});

export async function notificationTurn(input: NotificationTurnInput): Promise<NotificationTurnResult> {
  const d = input.delivery;
  const turnId = makeChildTurnId(workflowInfo().workflowId);
  const turnInput: AgentTurnInput = {
    userId: d.userId,
    sessionKey: d.sessionKey,
    role: d.role,
    message: d.content,
    history: [],
    taskId: d.taskId,
    taskTitle: d.taskTitle,
    metadata: { type: 'mc.notification', notification_id: d.notificationId },
    trigger: 'dispatcher',
    maxToolIterations: input.maxToolIterations,
  };

  let turn: AgentTurnResult | undefined;
  let failure: string | undefined;
  try {
    turn = await executeChild<AgentTurnWorkflow>(WorkflowType.agentTurn, {
      workflowId: turnId,
      args: [turnInput],
      // Never a second turn for this notification, not even after this workflow is reset.
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      ...childTimeout(WorkflowType.agentTurn, input.timeouts),
      typedSearchAttributes: turnSearchAttributes(turnInput),
      staticSummary: turnSummary(turnInput),
    });
  } catch (err) {
    if (isCancellation(err)) throw err;
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      log.info('the turn for this notification was started before; acking only', { turn_id: turnId });
    } else if (err instanceof ChildWorkflowFailure) {
      failure = describeFailure(err);
    } else {
      throw err;
    }
  }

  // Acked even if this workflow is being cancelled now: the turn has settled.
  const { acked } = await CancellationScope.nonCancellable(() =>
    ack.ackDelivery.executeWithOptions({ summary: `ack notification ${d.notificationId}` }, [
      { notificationId: d.notificationId, userId: d.userId },
    ]),
  );
  if (!acked)
    log.warn('the backend no longer knows this notification; nothing to ack', {
      notification_id: d.notificationId,
    });

  if (failure !== undefined) {
    throw ApplicationFailure.nonRetryable(
      `the agent turn ${turnId} failed: ${failure}`,
      'NotificationTurn.TurnFailed',
    );
  }
  return {
    notification_id: d.notificationId,
    turn_id: turnId,
    turn: turn ? 'completed' : 'already_started',
    ...(turn ? { task_id: turn.task_id, posted: turn.posted } : {}),
    acked,
  };
}
