/**
 * A deploy sends SIGTERM to a worker in the middle of a turn. The worker finishes the activity it
 * is running (the model call is not repeated), exits cleanly, and the next worker completes the
 * turn: one reply, no step run twice.
 */
import { sendBody } from '../support/stack';
import { startWorkerProcess, WORKER_START_TIMEOUT_MS, type WorkerProcess } from '../support/worker-process';
import { eventually, useStack } from './helpers';

describe('SIGTERM to the worker during a turn', () => {
  const stack = useStack({ worker: false });
  const workers: WorkerProcess[] = [];

  afterAll(async () => {
    for (const w of workers) await w.stop('SIGKILL');
  });

  it(
    'lets the in-flight model call finish, and another worker completes the turn',
    async () => {
      const s = stack();
      const first = await startWorkerProcess(s);
      workers.push(first);
      s.llm.script({ text: 'Answer from a model call that outlived the SIGTERM.', delayMs: 3000 });

      const res = await s.api.inject({
        method: 'POST',
        url: '/api/agents/send?wait=false',
        payload: sendBody({ user_id: 'sigterm', session_key: 'user:sigterm:lead', task_title: 'Deploy' }),
      });
      expect(res.statusCode).toBe(202);
      const turnId = res.json().turn_id as string;

      // The model call is in flight (the fake holds it for 3 s): now the deploy's SIGTERM.
      await eventually(async () => (s.llm.chatRequests().length === 1 ? true : undefined), 30_000);
      const exit = await first.stop('SIGTERM');
      expect(exit.code).toBe(0);

      const second = await startWorkerProcess(s);
      workers.push(second);
      await eventually(async () => {
        const status = await s.api.inject({
          method: 'GET',
          url: `/api/agents/turns/${encodeURIComponent(turnId)}`,
        });
        return status.json().status === 'completed' ? true : undefined;
      }, 60_000);

      // The drained call was recorded, not retried: one model request, one reply.
      expect(s.llm.chatRequests()).toHaveLength(1);
      const data = await s.backend.inspect('sigterm');
      expect(data.messages.filter((m) => m.content.startsWith('Answer from a model call'))).toHaveLength(1);
    },
    2 * WORKER_START_TIMEOUT_MS + 60_000,
  );
});
