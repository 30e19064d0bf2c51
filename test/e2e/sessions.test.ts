/**
 * Sessions: turns of one session_key run one at a time in arrival order (the Session workflow fed
 * by update-with-start), across API replicas, under each multitask_strategy. Real API, worker,
 * Temporal and backend; the model answers from a tag in the user message after a delay, so the
 * order and overlap of turns show in the model's request times.
 */
import crypto from 'node:crypto';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import { timeoutSettings } from '../../src/config';
import { makeSessionWorkflowId } from '../../src/shared/session';
import { executionTimeoutMs } from '../../src/shared/timeouts';
import { WorkflowType } from '../../src/shared/workflow-types';
import type { RecordedRequest } from '../support/fake-openai';
import { sendBody } from '../support/stack';
import { startApiProcess, WORKER_START_TIMEOUT_MS } from '../support/worker-process';
import { eventually, messagesOf, send, useStack } from './helpers';

const MODEL_MS = 300;

/** The `[n]` tag of the last user message of a model request. */
function tagOf(req: RecordedRequest): string {
  const users = messagesOf(req).filter((m) => m.role === 'user');
  return /\[(\w+)\]/.exec(String(users.at(-1)?.content ?? ''))?.[1] ?? '?';
}

describe('sessions: one conversation, one order', () => {
  const stack = useStack();
  const run = crypto.randomUUID().slice(0, 8);

  beforeEach(() => {
    stack().llm.respond((req) => ({
      text: `reply ${tagOf(req)}`,
      delayMs: tagOf(req) === 'slow' ? 3_000 : MODEL_MS,
    }));
  });

  function body(user: string, tag: string, extra: Record<string, unknown> = {}) {
    return sendBody({
      user_id: user,
      session_key: `user:${user}:lead`,
      message: `message [${tag}]`,
      task_title: 'Session thread',
      ...extra,
    });
  }

  async function postedReplies(user: string): Promise<string[]> {
    const seen = await stack().backend.inspect(user);
    return seen.messages.filter((m) => m.actor_type === 'agent').map((m) => m.content);
  }

  /** The model's request windows of a session's turns must never overlap. */
  function expectNoOverlap(requests: RecordedRequest[]): void {
    const sorted = [...requests].sort((a, b) => a.receivedAt - b.receivedAt);
    for (let i = 1; i < sorted.length; i++)
      expect(sorted[i]!.receivedAt - sorted[i - 1]!.receivedAt).toBeGreaterThanOrEqual(MODEL_MS - 5);
  }

  it('two sends a few ms apart: both answer 200, one after the other, replies posted in the order they ran', async () => {
    const user = `order-${run}`;
    const first = send(stack(), body(user, 'a1'));
    await new Promise((r) => setTimeout(r, 5));
    const second = send(stack(), body(user, 'a2'));
    const [r1, r2] = await Promise.all([first, second]);
    expect([r1.statusCode, r2.statusCode]).toEqual([200, 200]);
    expect([r1.json().response, r2.json().response]).toEqual(['reply a1', 'reply a2']);
    // 5 ms apart, either request may reach Temporal first: the session's order is arrival order,
    // and the model calls, the turns and the posted replies all follow that one order.
    const requests = stack().llm.chatRequests();
    expect(requests).toHaveLength(2);
    const order = requests.map(tagOf);
    expect([...order].sort()).toEqual(['a1', 'a2']);
    expect(await postedReplies(user)).toEqual(order.map((t) => `reply ${t}`));
    expectNoOverlap(requests);
    const sessionId = makeSessionWorkflowId(`user:${user}:lead`);
    const [t1, t2] = await Promise.all(
      [r1, r2].map((r) => stack().client.workflow.getHandle(r.json().turn_id).describe()),
    );
    expect([t1!.parentExecution?.workflowId, t2!.parentExecution?.workflowId]).toEqual([
      sessionId,
      sessionId,
    ]);
    const [earlier, later] = order[0] === 'a1' ? [t1!, t2!] : [t2!, t1!];
    expect(later.startTime.getTime()).toBeGreaterThanOrEqual(earlier.closeTime?.getTime() ?? Infinity);
  });

  it('GET /api/sessions/:session_key shows the running turn and the queue; a queued turn reports queued', async () => {
    const user = `view-${run}`;
    const sessionKey = `user:${user}:lead`;
    const ids: string[] = [];
    for (const tag of ['slow', 'v2', 'v3']) {
      const res = await send(stack(), body(user, tag), { query: 'wait=false' });
      expect(res.statusCode).toBe(202);
      ids.push(res.json().turn_id);
    }
    const view = await eventually(async () => {
      const res = await stack().api.inject({
        method: 'GET',
        url: `/api/sessions/${encodeURIComponent(sessionKey)}`,
      });
      expect(res.statusCode).toBe(200);
      const v = res.json();
      return v.running?.turn_id === ids[0] ? v : undefined;
    });
    expect(view.queue.map((q: { turn_id: string }) => q.turn_id)).toEqual([ids[1], ids[2]]);
    // The first turn's model call is slow: the third turn is still queued while visibility catches up.
    const status = await eventually(async () => {
      const res = await stack().api.inject({
        method: 'GET',
        url: `/api/agents/turns/${encodeURIComponent(ids[2]!)}`,
      });
      return res.statusCode === 200 ? res.json() : undefined;
    });
    expect(status).toEqual({ turn_id: ids[2], status: 'queued', session_key: sessionKey, position: 1 });
    await eventually(async () => ((await postedReplies(user)).length === 3 ? true : undefined), 20_000);
    expect(await postedReplies(user)).toEqual(['reply slow', 'reply v2', 'reply v3']);
    // The last reply is posted just before its turn ends; the session sees the end a moment later.
    const idle = await eventually(async () => {
      const res = await stack().api.inject({
        method: 'GET',
        url: `/api/sessions/${encodeURIComponent(sessionKey)}`,
      });
      return res.json().running === null ? res.json() : undefined;
    });
    expect(idle).toMatchObject({
      session_key: sessionKey,
      running: null,
      queue: [],
      turns_started: 3,
    });
    for (const bad of ['user:u1', 'user:u1:bad role', 'team:u1:lead', 'user:u\u00001:lead']) {
      const res = await stack().api.inject({
        method: 'GET',
        url: `/api/sessions/${encodeURIComponent(bad)}`,
      });
      expect(res.statusCode).toBe(400);
    }
  });

  it('a repeated Idempotency-Key answers the same turn and runs nothing again', async () => {
    const user = `idem-${run}`;
    const headers = { 'idempotency-key': `k-${run}` };
    const r1 = await send(stack(), body(user, 'i1'), { headers });
    const r2 = await send(stack(), body(user, 'i1'), { headers });
    expect([r1.statusCode, r2.statusCode]).toEqual([200, 200]);
    expect(r2.json().turn_id).toBe(r1.json().turn_id);
    expect(stack().llm.chatRequests()).toHaveLength(1);
    expect(await postedReplies(user)).toEqual(['reply i1']);
  });

  it(
    'keeps the order across two API processes sending alternately',
    async () => {
      const user = `replicas-${run}`;
      // A second API as its own process (src/api/main.ts): its own Temporal connection and memory.
      const other = await startApiProcess(stack(), { env: { CLASPER_RATE_LIMIT_PER_MINUTE: '0' } });
      try {
        const tags = ['r1', 'r2', 'r3', 'r4'];
        const pending: Promise<{ status: number; body: { response?: string } }>[] = [];
        for (const [i, tag] of tags.entries()) {
          pending.push(
            i % 2 === 0
              ? stack()
                  .api.inject({ method: 'POST', url: '/api/agents/send', payload: body(user, tag) })
                  .then((r) => ({ status: r.statusCode, body: r.json() }))
              : fetch(`${other.url}/api/agents/send`, {
                  method: 'POST',
                  headers: { 'content-type': 'application/json' },
                  body: JSON.stringify(body(user, tag)),
                }).then(async (r) => ({ status: r.status, body: (await r.json()) as { response?: string } })),
          );
          await new Promise((r) => setTimeout(r, 20));
        }
        const answers = await Promise.all(pending);
        expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
        expect(answers.map((a) => a.body.response)).toEqual(tags.map((t) => `reply ${t}`));
        // "Arrival" is when the session accepted the submit: 20 ms apart through two processes,
        // a busy box may deliver a later send first. The order the session's history recorded is
        // the order the replies must follow.
        const history = await stack()
          .client.workflow.getHandle(makeSessionWorkflowId(`user:${user}:lead`))
          .fetchHistory();
        const accepted = (history.events ?? []).flatMap((e) => {
          const payload =
            e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.args?.payloads?.[0];
          if (!payload?.data) return [];
          const req = JSON.parse(Buffer.from(payload.data).toString('utf8')) as {
            turn: { input: { message: string } };
          };
          return [/\[(\w+)\]/.exec(req.turn.input.message)?.[1] ?? '?'];
        });
        expect([...accepted].sort()).toEqual([...tags].sort());
        expect(await postedReplies(user)).toEqual(accepted.map((t) => `reply ${t}`));
        expectNoOverlap(stack().llm.chatRequests());
      } finally {
        await other.stop();
      }
    },
    WORKER_START_TIMEOUT_MS + 60_000,
  );
});

describe('sessions: multitask strategies', () => {
  const stack = useStack();
  const run = crypto.randomUUID().slice(0, 8);

  function body(user: string, tag: string, strategy?: string) {
    return sendBody({
      user_id: user,
      session_key: `user:${user}:lead`,
      message: `message [${tag}]`,
      task_title: 'Strategy thread',
      ...(strategy ? { multitask_strategy: strategy } : {}),
    });
  }

  /** Resolves once the model has received a request for `tag`'s turn. */
  function modelStarted(tag: string): Promise<void> {
    return eventually(async () =>
      stack()
        .llm.chatRequests()
        .some((r) => tagOf(r) === tag)
        ? true
        : undefined,
    ).then(() => undefined);
  }

  async function agentReplies(user: string): Promise<string[]> {
    const seen = await stack().backend.inspect(user);
    return seen.messages.filter((m) => m.actor_type === 'agent').map((m) => m.content);
  }

  it('reject: 409 {error, running_turn_id} while a turn runs; the running turn is untouched', async () => {
    const user = `reject-${run}`;
    stack().llm.respond((req) => ({
      text: `reply ${tagOf(req)}`,
      delayMs: tagOf(req) === 'long' ? 1_500 : 0,
    }));
    const first = send(stack(), body(user, 'long'));
    await modelStarted('long');
    const refused = await send(stack(), body(user, 'second', 'reject'));
    expect(refused.statusCode).toBe(409);
    const done = await first;
    expect(refused.json()).toEqual({
      error: expect.stringContaining('is running turn'),
      running_turn_id: done.json().turn_id,
    });
    expect(done.json().response).toBe('reply long');
    // Idle again: reject runs the turn.
    const later = await send(stack(), body(user, 'third', 'reject'));
    expect(later.statusCode).toBe(200);
    expect(await agentReplies(user)).toEqual(['reply long', 'reply third']);
  });

  it('interrupt: the running turn stops at its next step boundary (cancelled, no reply), the new one runs', async () => {
    const user = `interrupt-${run}`;
    stack().llm.respond((req) =>
      tagOf(req) === 'old'
        ? { toolCalls: [{ name: 'add_numbers', arguments: { a: 1, b: 2 } }], delayMs: 1_500 }
        : { text: `reply ${tagOf(req)}` },
    );
    const old = send(stack(), body(user, 'old'));
    await modelStarted('old');
    const fresh = await send(stack(), body(user, 'new', 'interrupt'));
    expect(fresh.statusCode).toBe(200);
    expect(fresh.json().response).toBe('reply new');
    const oldAnswer = await old;
    // The old turn's synchronous send sees it end cancelled.
    expect(oldAnswer.statusCode).toBe(502);
    const oldId = oldAnswer.json().turn_id;
    const status = await stack().api.inject({
      method: 'GET',
      url: `/api/agents/turns/${encodeURIComponent(oldId)}`,
    });
    expect(status.json()).toMatchObject({
      status: 'cancelled',
      cancel_reason: `interrupted by ${fresh.json().turn_id}`,
    });
    // Its model step finished, its tool call never ran and it posted nothing.
    expect(
      stack()
        .llm.chatRequests()
        .filter((r) => tagOf(r) === 'old'),
    ).toHaveLength(1);
    expect(await agentReplies(user)).toEqual(['reply new']);
  });

  it('steer: the message joins the running turn before its next model step; no new turn starts', async () => {
    const user = `steer-${run}`;
    stack().llm.respond((req) => {
      const users = messagesOf(req)
        .filter((m) => m.role === 'user')
        .map((m) => String(m.content));
      if (users.length === 1)
        return { toolCalls: [{ name: 'add_numbers', arguments: { a: 1, b: 2 } }], delayMs: 1_000 };
      return { text: `answered: ${users.join(' + ')}` };
    });
    const running = send(stack(), body(user, 'first'));
    await modelStarted('first');
    const steered = await send(stack(), body(user, 'extra', 'steer'));
    expect(steered.statusCode).toBe(202);
    const done = await running;
    expect(steered.json()).toMatchObject({
      status: 'steered',
      turn_id: done.json().turn_id,
      steered_step: 2,
    });
    expect(done.json().response).toBe('answered: message [first] + message [extra]');
    // Step 2 read the tool result and then the steered message.
    const step2 = stack().llm.chatRequests()[1]!;
    expect(
      messagesOf(step2)
        .map((m) => m.role)
        .slice(-3),
    ).toEqual(['assistant', 'tool', 'user']);
    expect(stack().llm.chatRequests()).toHaveLength(2);
    expect(await agentReplies(user)).toEqual(['answered: message [first] + message [extra]']);
  });

  it('steer during the final answer: the model answers again with the message; steer with nothing running is a turn', async () => {
    const user = `steer-final-${run}`;
    stack().llm.respond((req) => {
      const users = messagesOf(req)
        .filter((m) => m.role === 'user')
        .map((m) => String(m.content));
      return {
        text: `answered: ${users.join(' + ')}`,
        delayMs: users.length === 1 && tagOf(req) === 'first' ? 1_000 : 0,
      };
    });
    const running = send(stack(), body(user, 'first'));
    await modelStarted('first');
    const steered = await send(stack(), body(user, 'more', 'steer'));
    expect(steered.json()).toMatchObject({ status: 'steered', steered_step: 2 });
    const done = await running;
    expect(done.json()).toMatchObject({
      response: 'answered: message [first] + message [more]',
      iterations: 2,
    });
    const step2 = stack().llm.chatRequests()[1]!;
    expect(
      messagesOf(step2)
        .map((m) => m.role)
        .slice(-3),
    ).toEqual(['user', 'assistant', 'user']);
    const alone = await send(stack(), body(user, 'alone', 'steer'));
    expect(alone.statusCode).toBe(200);
    expect(alone.json().turn_id).not.toBe(done.json().turn_id);
    expect(await agentReplies(user)).toEqual([
      'answered: message [first] + message [more]',
      'answered: message [alone]',
    ]);
  });
});

describe('sessions: the default strategy (CLASPER_MULTITASK_STRATEGY) and enqueue past the send timeout', () => {
  const stack = useStack({ env: { CLASPER_MULTITASK_STRATEGY: 'reject', CLASPER_SEND_TIMEOUT_SEC: '1' } });

  it('a send naming no strategy gets the default (reject: 409); enqueue waits its turn and answers 202 after the send timeout', async () => {
    const user = `default-${crypto.randomUUID().slice(0, 8)}`;
    const body = (tag: string, extra: Record<string, unknown> = {}) =>
      sendBody({ user_id: user, session_key: `user:${user}:lead`, message: `m [${tag}]`, ...extra });
    stack().llm.respond((req) => ({
      text: `reply ${tagOf(req)}`,
      delayMs: tagOf(req) === 'long' ? 2_500 : 0,
    }));
    const first = await send(stack(), body('long'), { query: 'wait=false' });
    expect(first.statusCode).toBe(202);
    await eventually(async () =>
      stack()
        .llm.chatRequests()
        .some((r) => tagOf(r) === 'long')
        ? true
        : undefined,
    );

    const refused = await send(stack(), body('plain'));
    expect(refused.statusCode).toBe(409);
    expect(refused.json().running_turn_id).toBe(first.json().turn_id);

    // Queued behind a 2.5 s turn, longer than the 1 s send timeout: 202, then it runs after it.
    const queued = await send(stack(), body('queued', { multitask_strategy: 'enqueue' }));
    expect(queued.statusCode).toBe(202);
    // It has no workflow until the session starts it, after the long turn.
    const handle = stack().client.workflow.getHandle(queued.json().turn_id);
    await eventually(() =>
      handle
        .describe()
        .then(() => true)
        .catch(() => undefined),
    );
    expect((await handle.result()).response).toBe('reply queued');
    expect((await stack().backend.inspect(user)).messages.map((m) => m.content)).toEqual([
      'reply long',
      'reply queued',
    ]);
  });
});

describe('sessions: no worker running', () => {
  const stack = useStack({ worker: false });

  it('an enqueued send is recorded without a worker (signal-with-start) and runs once one starts', async () => {
    const user = `noworker-${crypto.randomUUID().slice(0, 8)}`;
    stack().llm.respond(() => ({ text: 'ran later' }));
    const res = await send(
      stack(),
      sendBody({ user_id: user, session_key: `user:${user}:lead`, task_title: 'Later' }),
      { query: 'wait=false' },
    );
    expect(res.statusCode).toBe(202);
    const turnId = res.json().turn_id;
    const running = stack().worker.run();
    try {
      // The session starts the turn once the worker runs its first task.
      const handle = stack().client.workflow.getHandle(turnId);
      await eventually(
        () =>
          handle
            .describe()
            .then(() => true)
            .catch(() => undefined),
        30_000,
      );
      const result = await handle.result();
      expect(result.response).toBe('ran later');
      expect((await stack().backend.inspect(user)).messages.map((m) => m.content)).toEqual(['ran later']);
    } finally {
      stack().worker.shutdown();
      await running;
    }
  }, 60_000);
});

describe('sessions: every run ends (run age, idle window, run timeout)', () => {
  const RUN_MAX_SEC = 2;
  const IDLE_SEC = 3;
  const stack = useStack({
    env: { CLASPER_SESSION_RUN_MAX_SEC: String(RUN_MAX_SEC), CLASPER_SESSION_IDLE_SEC: String(IDLE_SEC) },
  });

  it('a run past its age continues as new at the next turn, an idle one ends, each with its run timeout', async () => {
    const user = `bounded-${crypto.randomUUID().slice(0, 8)}`;
    const sessionKey = `user:${user}:lead`;
    stack().llm.respond((req) => ({ text: `reply ${tagOf(req)}` }));
    const turn = (tag: string) =>
      send(
        stack(),
        sendBody({ user_id: user, session_key: sessionKey, message: `m [${tag}]`, task_title: 'Bounded' }),
      );
    expect((await turn('a')).statusCode).toBe(200);
    await new Promise((r) => setTimeout(r, RUN_MAX_SEC * 1000 + 500));
    expect((await turn('b')).statusCode).toBe(200);
    expect((await stack().backend.inspect(user)).messages.map((m) => m.content)).toEqual([
      'reply a',
      'reply b',
    ]);

    const runs = async () => {
      const found = [];
      for await (const wf of stack().client.workflow.list({
        query: `WorkflowId = '${makeSessionWorkflowId(sessionKey)}'`,
      }))
        found.push(await stack().client.workflow.getHandle(wf.workflowId, wf.runId).describe());
      return found;
    };
    // Idle for IDLE_SEC after turn b, the second run ends; the first continued as new for b.
    const ended = await eventually(async () => {
      const all = await runs();
      return all.length === 2 && all.every((d) => d.status.name !== 'RUNNING') ? all : undefined;
    }, 20_000);
    expect(ended.map((d) => d.status.name).sort()).toEqual(['COMPLETED', 'CONTINUED_AS_NEW']);
    const expected = executionTimeoutMs(WorkflowType.session, timeoutSettings(stack().config));
    expect(expected).toBe((RUN_MAX_SEC + 30 * 60 + 8 * 86_400 + IDLE_SEC + 300) * 1000);
    for (const d of ended) expect(optionalTsToMs(d.raw.executionConfig?.workflowRunTimeout)).toBe(expected);
  }, 60_000);
});

describe('sessions: a long conversation stays small (continue-as-new)', () => {
  const TURNS = 200;
  const PER_RUN = 50;
  const stack = useStack({
    env: { CLASPER_SESSION_TURNS_PER_RUN: String(PER_RUN), CLASPER_RATE_LIMIT_PER_MINUTE: '0' },
  });

  it(`${TURNS} turns on one session run in order over ${TURNS / PER_RUN} runs, each far under the history limits`, async () => {
    const user = `long-${crypto.randomUUID().slice(0, 8)}`;
    const sessionKey = `user:${user}:lead`;
    stack().llm.respond((req) => ({
      text: `r${tagOf(req)}`,
      usage: { prompt_tokens: 1, completion_tokens: 1 },
    }));
    // Waves below the session's queue bound (100 waiting turns), sent without waiting for replies.
    for (let wave = 0; wave < TURNS / PER_RUN; wave++) {
      for (let i = wave * PER_RUN; i < (wave + 1) * PER_RUN; i++) {
        const res = await send(
          stack(),
          sendBody({ user_id: user, session_key: sessionKey, message: `m [${i}]`, task_title: 'Long' }),
          { query: 'wait=false' },
        );
        expect(res.statusCode).toBe(202);
      }
      await eventually(
        async () =>
          (await stack().backend.inspect(user)).messages.length >= (wave + 1) * PER_RUN ? true : undefined,
        120_000,
        200,
      );
    }
    const replies = (await stack().backend.inspect(user)).messages.map((m) => m.content);
    expect(replies).toEqual(Array.from({ length: TURNS }, (_, i) => `r${i}`));

    const runs = [];
    for await (const wf of stack().client.workflow.list({
      query: `WorkflowId = '${makeSessionWorkflowId(sessionKey)}'`,
    }))
      runs.push(wf);
    const described = await Promise.all(
      runs.map((r) => stack().client.workflow.getHandle(r.workflowId, r.runId).describe()),
    );
    expect(described.filter((d) => d.status.name === 'CONTINUED_AS_NEW').length).toBeGreaterThanOrEqual(
      TURNS / PER_RUN - 1,
    );
    // Temporal's limits: 51,200 events and 50 MB per run (warnings at 10,240 and 10 MB).
    for (const d of described) {
      // About 14 events per turn (694 for 50 on 2026-12-03): the default 100 turns stay near 1,400.
      expect(d.historyLength).toBeLessThan(PER_RUN * 16 + 50);
      expect(d.historySize).toBeLessThan(1_000_000);
    }
  }, 240_000);
});
