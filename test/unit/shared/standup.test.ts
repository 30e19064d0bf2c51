import {
  ensureStandupHeadings,
  localDate,
  MAX_STANDUP_TASKS,
  standupBucket,
  standupPrompt,
  standupTitle,
  tasksToReport,
} from '../../../src/shared/standup';

describe('standup decisions', () => {
  it.each([
    ['done', 'done'],
    ['Completed', 'done'],
    ['closed', 'done'],
    ['blocked', 'blocked'],
    ['On Hold', 'blocked'],
    ['on-hold', 'blocked'],
    ['in_progress', 'doing'],
    ['todo', 'doing'],
    ['', 'doing'],
  ])('status %j goes under %s', (status, bucket) => {
    expect(standupBucket(status)).toBe(bucket);
  });

  it('dates by the wall clock of the time zone', () => {
    const at = new Date('2026-11-23T16:30:00Z');
    expect(localDate(at, 'UTC')).toBe('2026-11-23');
    expect(localDate(at, 'Asia/Tokyo')).toBe('2026-11-24');
    expect(localDate(at, 'America/Los_Angeles')).toBe('2026-11-23');
    expect(standupTitle('2026-11-24')).toBe('Standup 2026-11-24');
  });

  it('lists the tasks under their headings in the prompt', () => {
    const prompt = standupPrompt({
      date: '2026-11-23',
      timezone: 'UTC',
      total: 2,
      tasks: [
        { id: '1', title: 'Ship it', status: 'done', description: 'the\nrelease' },
        { id: '2', title: 'Fix bug', status: 'blocked' },
      ],
    });
    expect(prompt).toContain('Done:\n- Ship it (status: done) — the release');
    expect(prompt).toContain('Doing:\n- (none)');
    expect(prompt).toContain('Blocked:\n- Fix bug (status: blocked)');
  });

  it('says when the list was cut', () => {
    const tasks = Array.from({ length: MAX_STANDUP_TASKS }, (_, i) => ({
      id: String(i),
      title: `T${i}`,
      status: 'todo',
    }));
    expect(standupPrompt({ date: 'd', timezone: 'UTC', tasks, total: 250 })).toContain(
      `Only the first ${MAX_STANDUP_TASKS} of 250`,
    );
  });

  it('adds any heading the model left out, keeps the ones it wrote', () => {
    expect(ensureStandupHeadings('## Done\n- a\n## Doing\n- b\n## Blocked\n- c')).toBe(
      '## Done\n- a\n## Doing\n- b\n## Blocked\n- c',
    );
    expect(ensureStandupHeadings('### Doing:\n- b')).toBe(
      '### Doing:\n- b\n\n## Done\n- Nothing\n\n## Blocked\n- Nothing',
    );
    expect(ensureStandupHeadings('')).toBe(
      '## Done\n- Nothing\n\n## Doing\n- Nothing\n\n## Blocked\n- Nothing',
    );
  });

  it('never reports on its own Daily Standup task', () => {
    expect(
      tasksToReport([
        { id: '1', title: 'Daily Standup', status: 'in_progress' },
        { id: '2', title: 'X', status: 'todo' },
      ]),
    ).toEqual([{ id: '2', title: 'X', status: 'todo' }]);
  });
});
