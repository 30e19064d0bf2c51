import { checkDelivery, planDispatchBatch, UndeliveredAges } from '../../../src/activities/deliveries';
import { MAX_NOTIFICATION_CHARS } from '../../../src/shared/dispatch';

const delivery = (over: Record<string, unknown> = {}) => ({
  notification_id: 'ntf_1',
  user_id: 'u1',
  session_key: 'user:u1:lead',
  content: 'hello',
  ...over,
});

describe('checkDelivery', () => {
  it('accepts a complete delivery and takes the role from the session key', () => {
    expect(checkDelivery(delivery({ task_id: 7, task_title: 'Inbox' }))).toEqual({
      ok: true,
      delivery: {
        notificationId: 'ntf_1',
        userId: 'u1',
        sessionKey: 'user:u1:lead',
        role: 'lead',
        content: 'hello',
        taskId: '7',
        taskTitle: 'Inbox',
      },
    });
    expect(checkDelivery(delivery({ notification_id: 42, task_id: null, task_title: null }))).toMatchObject({
      ok: true,
      delivery: { notificationId: '42' },
    });
  });

  it.each([
    ['not an object', 'nope', /not a JSON object/],
    ['no notification_id', delivery({ notification_id: undefined }), /notification_id/],
    ['empty notification_id', delivery({ notification_id: ' ' }), /notification_id/],
    ['no user_id', delivery({ user_id: undefined }), /user_id is missing/],
    ['bad user_id', delivery({ user_id: 'u 1', session_key: 'user:u 1:lead' }), /user_id must be/],
    ['no session_key', delivery({ session_key: undefined }), /session_key is missing/],
    ['bad session_key', delivery({ session_key: 'u1:lead' }), /must look like/],
    ['another user', delivery({ session_key: 'user:u2:lead' }), /another user/],
    ['bad role', delivery({ session_key: 'user:u1:bad role!' }), /role must match/],
    ['long role', delivery({ session_key: `user:u1:${'r'.repeat(65)}` }), /role must match/],
    ['no content', delivery({ content: undefined }), /content is missing/],
    ['blank content', delivery({ content: '  ' }), /content is missing/],
    ['huge content', delivery({ content: 'x'.repeat(MAX_NOTIFICATION_CHARS + 1) }), /longer than/],
    ['bad task_id', delivery({ task_id: { id: 1 } }), /task_id/],
  ])('skips a delivery with %s, saying why', (_name, raw, reason) => {
    const check = checkDelivery(raw);
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.malformed.reason).toMatch(reason);
  });

  it('keeps what it could read of a malformed delivery', () => {
    expect(checkDelivery(delivery({ session_key: undefined }))).toEqual({
      ok: false,
      malformed: { notificationId: 'ntf_1', userId: 'u1', reason: 'session_key is missing' },
    });
  });
});

describe('planDispatchBatch', () => {
  it('splits valid from malformed and counts a duplicate once', () => {
    const plan = planDispatchBatch([
      delivery(),
      delivery({ notification_id: 'ntf_2', content: undefined }),
      delivery(),
    ]);
    expect(plan.deliveries.map((d) => d.notificationId)).toEqual(['ntf_1']);
    expect(plan.malformed.map((m) => m.reason)).toEqual([
      'content is missing or empty',
      'listed twice in one poll',
    ]);
    expect(plan.deferred).toBe(0);
  });

  it('defers what exceeds the size budget to the next poll, but always takes the first', () => {
    const raw = [1, 2, 3].map((i) => delivery({ notification_id: `ntf_${i}`, content: 'x'.repeat(60) }));
    const plan = planDispatchBatch(raw, 100);
    expect(plan.deliveries.map((d) => d.notificationId)).toEqual(['ntf_1']);
    expect(plan.deferred).toBe(2);
    expect(planDispatchBatch([delivery({ content: 'x'.repeat(500) })], 100).deliveries).toHaveLength(1);
  });
});

describe('UndeliveredAges', () => {
  const t0 = Date.parse('2026-12-03T10:00:00Z');

  it("uses the backend's created_at when it sends one, else when this worker first saw it", () => {
    const ages = new UndeliveredAges();
    const created = delivery({ notification_id: 'a', created_at: '2026-12-03T09:59:30Z' });
    expect(ages.observe([created], t0)).toBe(30);
    expect(ages.observe([delivery({ notification_id: 'b' })], t0)).toBe(0);
    expect(ages.observe([delivery({ notification_id: 'b' })], t0 + 7_500)).toBe(7.5);
    // `b` was not listed in between: seen afresh.
    ages.observe([], t0 + 8_000);
    expect(ages.observe([delivery({ notification_id: 'b' })], t0 + 9_000)).toBe(0);
  });

  it('the oldest of a poll wins; none listed is null; a bad or future created_at never gives a negative age', () => {
    const ages = new UndeliveredAges();
    expect(ages.observe([], t0)).toBeNull();
    const list = [
      delivery({ notification_id: 'x', created_at: 'not a date' }),
      delivery({ notification_id: 'y', created_at: '2026-12-03T10:05:00Z' }),
      delivery({ notification_id: 'z', created_at: '2026-12-03T09:58:00Z' }),
      'garbage',
    ];
    expect(ages.observe(list, t0)).toBe(120);
    expect(ages.observe(list.slice(0, 2), t0 + 1_000)).toBe(1);
  });
});
