/**
 * Standup: one run per tick of `clasper-standup/<user_id>/<role>` (cron in the schedule's time
 * zone). Lists the user's tasks, has the model write a Done / Doing / Blocked summary, posts it as
 * a `standup` document titled with the local date on the `Daily Standup` task, and tells the
 * backend (when it has the endpoint). Every write is keyed by this workflow's id.
 */
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { Activities } from '../activities';
import { makeIdempotencyKey } from './lib/ids';
import {
  STANDUP_TASK_TITLE,
  ensureStandupHeadings,
  localDate,
  standupPrompt,
  standupTitle,
  type StandupInput,
  type StandupResult,
} from './lib/standup';
import { HEARTBEAT_TIMEOUT } from './lib/liveness';

/** Set by the server on every schedule-started run: the tick this standup is for. */
const TemporalScheduledStartTime = defineSearchAttributeKey(
  'TemporalScheduledStartTime',
  SearchAttributeType.DATETIME,
);

// Backend calls: the same bounds as a turn's (10 min of retries, then fail visibly).
const backend = proxyActivities<Activities>({
  startToCloseTimeout: '45s',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  scheduleToCloseTimeout: '10m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 20 },
});

// Walking every page of a large task list takes longer than one call.
const listing = proxyActivities<Activities>({
  startToCloseTimeout: '5m',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  scheduleToCloseTimeout: '15m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
});

const local = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  retry: { initialInterval: '500ms', maximumAttempts: 3 },
});

// Model calls: the request times out at 60 s; five attempts.
const model = proxyActivities<Activities>({
  startToCloseTimeout: '90s',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  scheduleToCloseTimeout: '10m',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '60s', maximumAttempts: 5 },
});

export async function standup(input: StandupInput): Promise<StandupResult> {
  const info = workflowInfo();
  const identity = { userId: input.userId, role: input.role };
  // The tick's own time, not "now": a standup that runs late still reports the day it was for.
  const at = info.typedSearchAttributes.get(TemporalScheduledStartTime) ?? info.startTime;
  const date = localDate(at, input.timezone);
  const title = standupTitle(date);

  const { tasks, total } = await listing.listUserTasks.executeWithOptions({ summary: 'list all tasks' }, [
    identity,
  ]);
  const workspace = await local.loadWorkspace.executeWithOptions(
    { summary: `load workspace for ${input.role}` },
    [{ role: input.role, timezone: input.timezone, systemMessages: [], conversationChars: 0 }],
  );
  const answer = await model.callModel.executeWithOptions(
    { summary: `write standup ${date} (${total} tasks)` },
    [
      {
        tier: 'default',
        messages: [
          { role: 'system', content: workspace.systemPrompt },
          { role: 'user', content: standupPrompt({ date, timezone: input.timezone, tasks, total }) },
        ],
      },
    ],
  );
  const content = ensureStandupHeadings(answer.content ?? '');

  const task = await backend.resolveTask.executeWithOptions(
    { summary: `resolve task "${STANDUP_TASK_TITLE}"` },
    [{ ...identity, taskTitle: STANDUP_TASK_TITLE, taskDescription: 'Daily standups written by the agent' }],
  );
  const doc = await backend.postDocument.executeWithOptions({ summary: `post "${title}"` }, [
    {
      ...identity,
      taskId: task.taskId,
      title,
      content,
      docType: 'standup',
      idempotencyKey: makeIdempotencyKey(info.workflowId, 'standup-document'),
    },
  ]);

  const features = await backend.backendFeatures.executeWithOptions({ summary: 'backend capabilities' }, [
    identity,
  ]);
  if (features.standup) {
    await backend.postStandup.executeWithOptions({ summary: 'POST /api/mission-control/standup' }, [
      { ...identity, timezone: input.timezone },
    ]);
  }
  return {
    date,
    title,
    task_id: task.taskId,
    document_id: doc.documentId,
    tasks: total,
    backend_standup: features.standup ? 'called' : 'unsupported',
    model: answer.model,
  };
}
