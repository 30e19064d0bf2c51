import {
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowFailure,
  RetryState,
  TimeoutFailure,
} from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import {
  describeFailure,
  failureType,
  innermostFailure,
  isFailureOfType,
  isNonRetryableFailure,
  rootFailureDetails,
} from '../../../src/shared/failures';

function appFailure(overrides: { type?: string; nonRetryable?: boolean; message?: string } = {}) {
  return ApplicationFailure.create({
    message: 'task 42 does not exist',
    type: 'MissionControl.NotFound',
    ...overrides,
  });
}

function inActivity(cause: Error): ActivityFailure {
  return new ActivityFailure(
    'Activity task failed',
    'resolveTask',
    '1',
    RetryState.NON_RETRYABLE_FAILURE,
    'w',
    cause,
  );
}

function inChild(cause: Error): ChildWorkflowFailure {
  return new ChildWorkflowFailure(
    'default',
    { workflowId: 'c', runId: 'r' },
    'agentTurn',
    RetryState.NON_RETRYABLE_FAILURE,
    cause,
  );
}

function inClient(cause: Error): WorkflowFailedError {
  return new WorkflowFailedError(
    'Workflow execution failed',
    cause as ApplicationFailure,
    RetryState.NON_RETRYABLE_FAILURE,
  );
}

describe('failure chains', () => {
  const root = appFailure({ nonRetryable: true });
  const chains: [string, unknown][] = [
    ['the failure itself', root],
    ['activity → application', inActivity(root)],
    ['child → activity → application', inChild(inActivity(root))],
    ['client → child → activity → application', inClient(inChild(inActivity(root)))],
  ];

  test.each(chains)('%s: the root is found', (_name, err) => {
    expect(innermostFailure(err)).toBe(root);
    expect(failureType(err)).toBe('MissionControl.NotFound');
    expect(isFailureOfType(err, 'MissionControl.NotFound')).toBe(true);
    expect(isFailureOfType(err, 'MissionControl.Conflict')).toBe(false);
    expect(isNonRetryableFailure(err)).toBe(true);
    expect(describeFailure(err)).toBe('task 42 does not exist');
  });

  test('a retryable root is not non-retryable', () => {
    expect(isNonRetryableFailure(inActivity(appFailure({ nonRetryable: false })))).toBe(false);
  });

  test('a timeout root has no application type, and its message is shown', () => {
    const timeout = new TimeoutFailure('activity StartToClose timeout', undefined, 'START_TO_CLOSE');
    expect(failureType(inActivity(timeout))).toBeUndefined();
    expect(isNonRetryableFailure(inActivity(timeout))).toBe(false);
    expect(describeFailure(inActivity(timeout))).toBe('activity StartToClose timeout');
  });

  test('a wrapper without a cause is its own root; non-errors are described as text', () => {
    const bare = new ActivityFailure(
      'Activity task failed',
      'x',
      '1',
      RetryState.MAXIMUM_ATTEMPTS_REACHED,
      'w',
      undefined,
    );
    expect(innermostFailure(bare)).toBe(bare);
    expect(describeFailure('plain text')).toBe('plain text');
    expect(failureType(new Error('boom'))).toBeUndefined();
  });

  test('rootFailureDetails: the first details entry of the root failure, only for the asked-for family', () => {
    const withDetails = ApplicationFailure.create({
      message: 'GET /api/mission-control/tasks answered 404: no such task',
      type: 'MissionControl.NotFound',
      details: [{ status: 404, path: '/api/mission-control/tasks' }],
    });
    expect(rootFailureDetails(inClient(inActivity(withDetails)), 'MissionControl.')).toEqual({
      status: 404,
      path: '/api/mission-control/tasks',
    });
    expect(rootFailureDetails(withDetails, 'Model.')).toBeUndefined();
    expect(rootFailureDetails(appFailure(), 'MissionControl.')).toBeUndefined();
    expect(rootFailureDetails(new Error('boom'), 'MissionControl.')).toBeUndefined();
  });
});
