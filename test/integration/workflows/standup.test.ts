/**
 * The standup on the real stack: every task of the user (across pages) reaches the model sorted
 * under Done / Doing / Blocked, and its summary is posted as a `standup` document titled with the
 * local date on the `Daily Standup` task; the backend's standup endpoint gets the time zone.
 */
import crypto from 'node:crypto';
import { localDate, type StandupResult } from '../../../src/shared/standup';
import { ensureStandupSchedule } from '../../../src/schedules/ensure';
import type { Stack } from '../../support/stack';
import {
  backendAsAgent,
  lastUserText,
  trackSchedule,
  triggerAndAwait,
  uniqueUser,
  useScheduleStack,
} from './helpers';

const stack = useScheduleStack({ env: { STANDUP_TIMEZONE: 'Asia/Tokyo' } });

async function createTask(s: Stack, userId: string, title: string, status: string): Promise<void> {
  const res = await backendAsAgent(s, userId, 'POST', '/api/mission-control/tasks', { title, status });
  if (!res.ok) throw new Error(`create task failed: ${res.status}`);
}

const SUMMARY =
  '## Done\n- Ship v2\n\n## Doing\n- Write the docs\n\n## Blocked\n- Fix the login bug (waiting on design)';

describe('standup', () => {
  it('summarises all tasks under the three headings and posts a dated standup document', async () => {
    const user = uniqueUser();
    await createTask(stack(), user, 'Ship v2', 'done');
    await createTask(stack(), user, 'Write the docs', 'in_progress');
    // More than one page (the client asks for 100 per page): the last task is on page two.
    for (let i = 0; i < 100; i++) await createTask(stack(), user, `Filler ${i}`, 'todo');
    await createTask(stack(), user, 'Fix the login bug', 'blocked');
    stack().llm.script({ text: SUMMARY });

    const s = stack();
    const handle = await s.client.workflow.start('standup', {
      taskQueue: s.taskQueue,
      workflowId: `test-standup/${user}/${crypto.randomUUID()}`,
      args: [{ userId: user, role: 'lead', timezone: 'Asia/Tokyo' }],
    });
    const result: StandupResult = await handle.result();
    const startedAt = (await handle.describe()).startTime;
    const date = localDate(startedAt, 'Asia/Tokyo');
    expect(result).toMatchObject({ date, title: `Standup ${date}`, tasks: 103, backend_standup: 'called' });

    const prompt = lastUserText(stack().llm.lastRequest());
    const section = (name: string, next?: string) =>
      prompt.slice(prompt.indexOf(`${name}:\n`), next ? prompt.indexOf(`${next}:\n`) : undefined);
    expect(section('Done', 'Doing')).toContain('Ship v2 (status: done)');
    expect(section('Doing', 'Blocked')).toContain('Write the docs (status: in_progress)');
    expect(section('Doing', 'Blocked')).toContain('Filler 99');
    expect(section('Blocked')).toContain('Fix the login bug (status: blocked)');
    expect(prompt).toContain('`## Done`, `## Doing`, `## Blocked`');

    const data = await stack().backend.inspect(user);
    const standupTask = data.tasks.find((t) => t.title === 'Daily Standup');
    expect(standupTask).toBeDefined();
    expect(data.documents).toEqual([
      expect.objectContaining({
        task_id: standupTask?.id,
        title: `Standup ${date}`,
        doc_type: 'standup',
        content: SUMMARY,
      }),
    ]);
    expect(data.standups).toEqual([expect.objectContaining({ user_id: user, timezone: 'Asia/Tokyo' })]);
  });

  it('runs from its schedule, dated by the tick in the schedule time zone, and adds headings the model left out', async () => {
    const user = uniqueUser();
    await createTask(stack(), user, 'Only task', 'in_progress');
    const { handle, scheduleId } = await ensureStandupSchedule(
      stack().client,
      stack().config,
      { userId: user, role: 'lead' },
      undefined,
      { paused: true },
    );
    trackSchedule(scheduleId);
    stack().llm.script({ text: '## Doing\n- Only task' });

    const { result } = await triggerAndAwait<StandupResult>(stack().client, handle);
    const action = (await handle.describe()).info.recentActions.at(-1);
    const date = localDate(action?.scheduledAt ?? new Date(), 'Asia/Tokyo');
    expect(result).toMatchObject({ date, tasks: 1 });
    const doc = (await stack().backend.inspect(user)).documents[0];
    expect(doc?.content).toBe('## Doing\n- Only task\n\n## Done\n- Nothing\n\n## Blocked\n- Nothing');
  });
});
