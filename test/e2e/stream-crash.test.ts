/**
 * A worker SIGKILLed while the model streams: the stream log lives in the workflow, so the client
 * keeps its stream; the retried model call's text comes after a `reset` of the step, and a client
 * that applies resets shows exactly the reply the turn posts.
 */
import { sendBody } from '../support/stack';
import { listenLocally, postJson, readSse, textShownPerStep, type SseEvent } from '../support/sse';
import { startWorkerProcess, WORKER_START_TIMEOUT_MS, type WorkerProcess } from '../support/worker-process';
import { useStack } from './helpers';

describe('streaming across a worker SIGKILL', () => {
  const stack = useStack({ worker: false });
  const workers: WorkerProcess[] = [];

  afterAll(async () => {
    for (const w of workers) await w.stop('SIGKILL');
  });

  it(
    'the retried attempt resets the step; the text shown equals the posted reply',
    async () => {
      const s = stack();
      const base = await listenLocally(s.api);
      const first = await startWorkerProcess(s);
      workers.push(first);
      const words = (tag: string) => Array.from({ length: 30 }, (_, i) => `${tag}${i + 1}`).join(' ');
      s.llm.script(
        { text: words('lost'), chunkDelayMs: 150 },
        { text: `${words('kept')}.`, chunkDelayMs: 20 },
      );

      const res = await postJson(
        `${base}/api/agents/stream`,
        sendBody({ user_id: 'crashstream', session_key: 'user:crashstream:lead' }),
      );
      const events: SseEvent[] = [];
      let killed = false;
      for await (const e of readSse(res)) {
        events.push(e);
        if (!killed && e.event === 'chunk') {
          killed = true;
          // Text of the first attempt is on screen: now the worker dies mid-answer.
          await first.stop('SIGKILL');
          workers.push(await startWorkerProcess(s));
        }
      }
      const done = events.at(-1);
      expect(done?.event).toBe('done');
      const response = done?.data.response as string;
      expect(response).toBe(`${words('kept')}.`);

      const resetAt = events.findIndex((e) => e.event === 'reset');
      expect(resetAt).toBeGreaterThan(0);
      expect(events[resetAt]?.data).toEqual({ type: 'reset', step: 1 });
      // Before the reset: only the lost attempt's words; after it: only the kept ones.
      const before = events.slice(0, resetAt).filter((e) => e.event === 'chunk');
      expect(before.length).toBeGreaterThan(0);
      expect(before.every((e) => String(e.data.data).includes('lost'))).toBe(true);
      expect(textShownPerStep(events).get(1)).toBe(response);

      const data = await s.backend.inspect('crashstream');
      expect(data.messages.map((m) => m.content)).toEqual([response]);
      expect(s.llm.chatRequests()).toHaveLength(2);
    },
    3 * WORKER_START_TIMEOUT_MS,
  );
});
