/**
 * A turn waits for a person's approval of a backend tool the reference backend marks
 * `requires_approval` (no CLASPER_APPROVAL_TOOLS), and the only worker is SIGKILLed while it waits.
 * The decision sent while no worker runs answers 503 after a bounded wait instead of hanging; the
 * same decision sent again lands once a new worker is up. The tool runs exactly once.
 */
import { sendBody } from '../support/stack';
import { startWorkerProcess, WORKER_START_TIMEOUT_MS, type WorkerProcess } from '../support/worker-process';
import { eventually, useStack } from './helpers';

describe('approval of a requires_approval backend tool across a worker SIGKILL', () => {
  const stack = useStack({ worker: false });
  const workers: WorkerProcess[] = [];

  afterAll(async () => {
    for (const w of workers) await w.stop('SIGKILL');
  });

  it(
    'the decision lands on the next worker and the tool runs once',
    async () => {
      const s = stack();
      const first = await startWorkerProcess(s);
      workers.push(first);
      s.llm.script(
        {
          toolCalls: [
            {
              id: 'call_pub',
              name: 'publish_announcement',
              arguments: { title: 'Launch moved', body: 'We ship on Friday.' },
            },
          ],
        },
        { text: 'Announced.' },
      );

      const res = await s.api.inject({
        method: 'POST',
        url: '/api/agents/send?wait=false',
        payload: sendBody({ user_id: 'apk', session_key: 'user:apk:lead' }),
      });
      expect(res.statusCode).toBe(202);
      const turnId = res.json().turn_id as string;
      const statusUrl = `/api/agents/turns/${encodeURIComponent(turnId)}`;
      await eventually(async () => {
        const st = (await s.api.inject({ method: 'GET', url: statusUrl })).json();
        return st.status === 'waiting_approval' && st.pending_approvals?.[0]?.call_id === 'call_pub'
          ? true
          : undefined;
      }, 60_000);
      expect((await s.backend.inspect('apk')).announcements).toEqual([]);

      const killed = await first.stop('SIGKILL');
      expect(killed.signal).toBe('SIGKILL');

      const decideUrl = `${statusUrl}/approvals/call_pub`;
      const decision = { decision: 'approve', reason: 'ok to publish' };
      // No worker runs: the decision waits, then answers 503 instead of hanging.
      const lonely = await s.api.inject({ method: 'POST', url: decideUrl, payload: decision });
      expect(lonely.statusCode).toBe(503);
      expect(lonely.json().error).toMatch(/no worker took the decision within 20 s/);

      // A new worker starts; the very same request is sent again until it lands (503 until the
      // worker polls).
      const secondStarting = startWorkerProcess(s).then((w) => {
        workers.push(w);
        return w;
      });
      const answers: number[] = [];
      const decided = await eventually(
        async () => {
          const r = await s.api.inject({ method: 'POST', url: decideUrl, payload: decision });
          answers.push(r.statusCode);
          return r.statusCode === 200 ? r.json() : undefined;
        },
        WORKER_START_TIMEOUT_MS,
        0,
      );
      await secondStarting;
      expect(answers.filter((c) => c !== 503 && c !== 200)).toEqual([]);
      expect(decided).toMatchObject({ call_id: 'call_pub', decision: 'approve', reason: 'ok to publish' });

      // The same decision again is the same recorded decision, not a 409 and not a second run.
      const repeat = await s.api.inject({ method: 'POST', url: decideUrl, payload: decision });
      expect(repeat.statusCode).toBe(200);
      expect(repeat.json()).toEqual(decided);

      const done = await eventually(async () => {
        const st = (await s.api.inject({ method: 'GET', url: statusUrl })).json();
        return st.status === 'completed' ? st : undefined;
      }, 60_000);
      expect(done.result).toMatchObject({
        response: 'Announced.',
        tool_calls: [{ name: 'publish_announcement', ok: true }],
      });
      const announced = (await s.backend.inspect('apk')).announcements;
      expect(announced).toEqual([
        expect.objectContaining({ title: 'Launch moved', body: 'We ship on Friday.' }),
      ]);
    },
    3 * WORKER_START_TIMEOUT_MS,
  );
});
