/**
 * Standup: one run per tick of `clasper-standup/<user_id>/<role>` (cron in the schedule's time
 * zone). Lists the user's tasks, has the model write a Done / Doing / Blocked summary, posts it as
 * a `standup` document titled with the local date on the `Daily Standup` task, and tells the
 * backend (when it has the endpoint). Every write is keyed by this workflow's id.
 */
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { budgetFor } from '../shared/budget';
import type { Activities } from '../activities';
import { makeIdempotencyKey } from '../shared/ids';
import {
  STANDUP_TASK_TITLE,
  ensureStandupHeadings,
  localDate,
  standupPrompt,
  standupTitle,
  type StandupInput,
  type StandupResult,
} from '../shared/standup';
import { HEARTBEAT_TIMEOUT } from './lib/liveness';
import { BACKEND_CALLS, LOCAL_READS, modelCalls } from './lib/activity-options';

/** Set by the server on every schedule-started run: the tick this standup is for. */
const TemporalScheduledStartTime = defineSearchAttributeKey(
  'TemporalScheduledStartTime',
  SearchAttributeType.DATETIME,
);

const backend = proxyActivities<Activities>(BACKEND_CALLS);

// Walking every page of a large task list takes longer than one call.
const listing = proxyActivities<Activities>({
  startToCloseTimeout: '5m',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  scheduleToCloseTimeout: '15m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
});

const local = proxyActivities<Activities>(LOCAL_READS);

const model = proxyActivities<Activities>(modelCalls());

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
        ...budgetFor(input.userId),
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
