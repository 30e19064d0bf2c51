/**
 * The CLI against the whole running system (test/support/stack.ts): the API listening on a real
 * port, a worker on its own task queue, the reference backend and the fake OpenAI server. Commands
 * run through `main()` with an environment that points at that stack, exactly as a user's shell would.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import { ScheduleNotFoundError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { main } from '../../src/cli';
import { JWT_REJECTED, type DoctorCheck } from '../../src/cli/doctor';
import { bufferOut } from '../../src/cli/output';
import { listClasperSchedules } from '../../src/cli/schedules';
import { runSend } from '../../src/cli/send';
import { loadConfig } from '../../src/config';
import { startStack, TEST_JWT_SECRET, TEST_OPENAI_KEY, type Stack } from '../support/stack';
import { modelServerResponder } from '../support/fake-openai';

const DAEMON_KEY = 'cli-test-daemon-key';
const REPO_ROOT = path.resolve(__dirname, '../..');

let stack: Stack;
let apiUrl: string;
let env: NodeJS.ProcessEnv;

/** Runs `clasper <args>` in-process; `extraEnv` overrides the stack's environment. */
async function clasper(args: string[], extraEnv: NodeJS.ProcessEnv = {}) {
  const out = bufferOut();
  const code = await main(['node', 'clasper', ...args], out, { ...env, ...extraEnv });
  return { code, out, stdout: out.stdoutText, stderr: out.stderrText };
}

async function eventually<T>(fn: () => Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  // A 2 s send timeout lets a slow (scripted) model push the API into its 202 path.
  stack = await startStack({ env: { AGENT_DAEMON_API_KEY: DAEMON_KEY, CLASPER_SEND_TIMEOUT_SEC: '2' } });
  await stack.api.listen({ port: 0, host: '127.0.0.1' });
  const addr = stack.api.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  apiUrl = `http://127.0.0.1:${port}`;
  env = {
    BACKEND_URL: stack.backend.url,
    OPENAI_BASE_URL: stack.llm.url,
    OPENAI_API_KEY: TEST_OPENAI_KEY,
    AGENT_JWT_SECRET: TEST_JWT_SECRET,
    AGENT_DAEMON_API_KEY: DAEMON_KEY,
    TEMPORAL_ADDRESS: stack.config.temporal.address,
    CLASPER_TASK_QUEUE: stack.taskQueue,
    CLASPER_WORKSPACE: path.join(REPO_ROOT, 'workspace'),
    CLASPER_PORT: String(port),
  };
});

afterEach(() => {
  const unexpected = [...stack.llm.unexpectedCalls];
  stack.llm.reset();
  if (unexpected.length > 0)
    throw new Error(`fake OpenAI got unexpected calls: ${unexpected.map((c) => c.reason).join('; ')}`);
});

afterAll(async () => {
  await stack?.stop();
});

describe('clasper send / turns show', () => {
  it('prints the reply, posted once on the task', async () => {
    stack.llm.script({ text: 'Plan: ship it on Friday.' });
    // No --api: the default http://localhost:$CLASPER_PORT must reach the API.
    const run = await clasper([
      'send',
      '--user',
      'cli-u1',
      '--role',
      'lead',
      '--task-title',
      'CLI launch',
      'What is the plan?',
    ]);
    // The reply alone on stdout (it pipes), the turn id on stderr to follow up with turns show.
    expect(run.stderr).toMatch(/^turn agent-turn\/cli-u1\/\S+\n$/);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('Plan: ship it on Friday.\n');
    const turnId = run.stderr.trim().slice('turn '.length);
    expect((await clasper(['turns', 'show', turnId, '--json'])).out.json()).toMatchObject({
      turn_id: turnId,
      status: 'completed',
    });
    const data = await stack.backend.inspect('cli-u1');
    expect(data.messages.map((m) => m.content)).toEqual(['Plan: ship it on Friday.']);
    expect(stack.llm.lastRequest().body?.messages?.at(-1)).toMatchObject({
      role: 'user',
      content: 'What is the plan?',
    });
  });

  it('--json prints the turn result, and turns show reports it', async () => {
    stack.llm.script({ text: 'JSON reply' });
    const run = await clasper([
      'send',
      '--session-key',
      'user:cli-u2:writer',
      '--task-title',
      'CLI json',
      '--api',
      apiUrl,
      '--json',
      'Hi',
    ]);
    expect(run.code).toBe(0);
    const result = run.out.json<{ turn_id: string; task_id: string; response: string; status: string }>();
    expect(result).toMatchObject({
      status: 'ok',
      response: 'JSON reply',
      turn_id: expect.stringMatching(/^agent-turn\/cli-u2\//),
    });

    const shown = await clasper(['turns', 'show', result.turn_id, '--json']);
    expect(shown.code).toBe(0);
    expect(shown.out.json()).toMatchObject({
      turn_id: result.turn_id,
      status: 'completed',
      result: { response: 'JSON reply', task_id: result.task_id },
    });

    const human = await clasper(['turns', 'show', result.turn_id]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^status\s+completed$/m);
    expect(human.stdout).toMatch(new RegExp(`^task\\s+${result.task_id}$`, 'm'));
    expect(human.stdout).toContain('\nJSON reply\n');
  });

  it('approvals list, turns cancel: an empty inbox, and cancelling an unknown turn exits 1', async () => {
    const list = await clasper(['approvals', 'list', '--user', 'cli-nobody']);
    expect(list.code).toBe(0);
    expect(list.stdout).toBe('no tool call is waiting for approval\n');
    const json = await clasper(['approvals', 'list', '--json']);
    expect(JSON.parse(json.stdout)).toEqual({ items: expect.any(Array) });
    const cancel = await clasper(['turns', 'cancel', 'agent-turn/nobody/nothing', '--reason', 'x']);
    expect(cancel.code).toBe(1);
    expect(cancel.stderr).toBe("error: no turn 'agent-turn/nobody/nothing'\n");
    const deny = await clasper(['approvals', 'deny', 'agent-turn/nobody/nothing', 'call_1']);
    expect(deny.code).toBe(1);
  });

  it('turns show on an unknown turn exits 1 with the API error', async () => {
    const run = await clasper(['turns', 'show', 'agent-turn/nobody/nothing']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe("error: no turn 'agent-turn/nobody/nothing'\n");
  });

  it('on 202 (the turn outlived the API wait) polls the turn until the reply, with a spinner on a TTY', async () => {
    stack.llm.script({ text: 'Slow but sure.', delayMs: 3000 });
    const out = bufferOut({ stderrIsTTY: true });
    const statuses: string[] = [];
    const recordingFetch: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      statuses.push(`${init?.method ?? 'GET'} ${new URL(String(input)).pathname} ${res.status}`);
      return res;
    };
    const code = await runSend(
      { user: 'cli-u3', role: 'lead', taskTitle: 'CLI slow', api: apiUrl, message: 'Take your time' },
      { config: loadConfig(env), out, fetch: recordingFetch, pollIntervalMs: 200 },
    );
    expect(code).toBe(0);
    expect(out.stdoutText).toBe('Slow but sure.\n');
    expect(statuses[0]).toBe('POST /api/agents/send 202');
    expect(statuses.at(-1)).toMatch(/^GET \/api\/agents\/turns\/agent-turn%2Fcli-u3%2F.* 200$/);
    expect(out.stderrText).toContain('⠋ waiting for user:cli-u3:lead');
    // The spinner line is cleared before the turn id is printed.
    const cleared = out.stderrText.lastIndexOf('\r\x1b[2K');
    expect(out.stderrText.slice(cleared + 5)).toMatch(/^turn agent-turn\/cli-u3\/\S+\n$/);
  });

  it('--no-wait starts the turn and prints its id; turns show follows it to the reply', async () => {
    stack.llm.script({ text: 'Done in the background.' });
    const run = await clasper([
      'send',
      '--user',
      'cli-u6',
      '--task-title',
      'CLI async',
      '--no-wait',
      '--json',
      'Go',
    ]);
    expect(run.code).toBe(0);
    const accepted = run.out.json<{ status: string; turn_id: string }>();
    expect(accepted).toMatchObject({
      status: 'accepted',
      turn_id: expect.stringMatching(/^agent-turn\/cli-u6\//),
    });
    const done = await eventually(async () => {
      const shown = await clasper(['turns', 'show', accepted.turn_id, '--json']);
      const turn = shown.out.json<{ status: string; result?: { response: string } }>();
      return turn.status === 'running' ? undefined : turn;
    }, 'the turn to finish');
    expect(done).toMatchObject({ status: 'completed', result: { response: 'Done in the background.' } });
  });

  it('reads the message from stdin when none is given', async () => {
    stack.llm.script({ text: 'Got it from stdin.' });
    const out = bufferOut();
    const code = await runSend(
      { user: 'cli-u4', taskTitle: 'CLI stdin', api: apiUrl, json: true },
      { config: loadConfig(env), out, readStdin: async () => 'piped message\n' },
    );
    expect(code).toBe(0);
    expect(out.json()).toMatchObject({ response: 'Got it from stdin.' });
    // AGENT_ROLE's default role, and the trailing newline of the pipe is dropped.
    expect(stack.llm.lastRequest().body?.messages?.at(-1)).toMatchObject({ content: 'piped message' });
  });

  it("exits 1 with the API's error: wrong daemon key, and a request the API refuses", async () => {
    const wrongKey = await clasper(['send', '--user', 'cli-u5', '--task-title', 'x', 'Hi'], {
      AGENT_DAEMON_API_KEY: 'not-the-key',
    });
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toBe('error: X-Agent-Daemon-Key is not valid\n');

    const noTask = await clasper(['send', '--user', 'cli-u5', '--json', 'Hi']);
    expect(noTask.code).toBe(1);
    expect(noTask.out.json()).toEqual({ error: expect.stringContaining('no task to reply on') });

    const noApi = await clasper([
      'send',
      '--user',
      'cli-u5',
      '--task-title',
      'x',
      '--api',
      'http://127.0.0.1:9',
      'Hi',
    ]);
    expect(noApi.code).toBe(1);
    expect(noApi.stderr).toContain('could not reach the Clasper API at http://127.0.0.1:9');
  });
});

describe('clasper schedules', () => {
  const scheduleId = `clasper-test-${crypto.randomUUID()}`;
  // A queue no worker polls: a triggered run just waits there until the test terminates it.
  const idleQueue = `cli-test-idle-${crypto.randomUUID()}`;

  beforeAll(async () => {
    await stack.client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: '1h' }] },
      action: { type: 'startWorkflow', workflowType: 'clasperCliTestNoop', taskQueue: idleQueue, args: [] },
    });
  });

  afterAll(async () => {
    const handle = stack.client.schedule.getHandle(scheduleId);
    const desc = await handle.describe().catch(() => undefined);
    for (const action of desc?.info.recentActions ?? []) {
      await stack.client.workflow
        .getHandle(action.action.workflow.workflowId)
        .terminate('cli test cleanup')
        .catch(() => undefined);
    }
    await handle.delete().catch(() => undefined);
  });

  it('list shows our schedule (ids starting with clasper-)', async () => {
    // Schedule listing goes through visibility, which trails creation by a moment.
    await eventually(
      async () =>
        (await listClasperSchedules(stack.client)).some((s) => s.schedule_id === scheduleId)
          ? true
          : undefined,
      'the schedule to be listed',
    );
    const json = await clasper(['schedules', 'list', '--json']);
    expect(json.code).toBe(0);
    const { schedules } = json.out.json<{ schedules: { schedule_id: string }[] }>();
    expect(schedules.every((s) => s.schedule_id.startsWith('clasper-'))).toBe(true);
    expect(schedules).toContainEqual(
      expect.objectContaining({
        schedule_id: scheduleId,
        paused: false,
        workflow_type: 'clasperCliTestNoop',
        next_run: expect.any(String),
      }),
    );

    const human = await clasper(['schedules', 'list']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^SCHEDULE\s+STATE\s+WORKFLOW\s+NEXT RUN\s+LAST RUN$/m);
    expect(human.stdout).toMatch(new RegExp(`^${scheduleId}\\s+active\\s+clasperCliTestNoop\\s`, 'm'));
  });

  it('trigger starts a run now', async () => {
    const run = await clasper(['schedules', 'trigger', scheduleId, '--json']);
    expect(run.code).toBe(0);
    expect(run.out.json()).toEqual({ schedule_id: scheduleId, triggered: true });
    const started = await eventually(async () => {
      const desc = await stack.client.schedule.getHandle(scheduleId).describe();
      return desc.info.recentActions[0]?.action.workflow.workflowId;
    }, 'the triggered run');
    expect(started.startsWith(scheduleId)).toBe(true);
  });

  it('pause and unpause change the schedule state', async () => {
    const paused = await clasper(['schedules', 'pause', scheduleId, '--note', 'maintenance']);
    expect(paused.code).toBe(0);
    expect(paused.stdout).toBe(`paused ${scheduleId}\n`);
    let desc = await stack.client.schedule.getHandle(scheduleId).describe();
    expect(desc.state).toMatchObject({ paused: true, note: 'maintenance' });

    const unpaused = await clasper(['schedules', 'unpause', scheduleId, '--json']);
    expect(unpaused.code).toBe(0);
    expect(unpaused.out.json()).toMatchObject({ schedule_id: scheduleId, paused: false });
    desc = await stack.client.schedule.getHandle(scheduleId).describe();
    expect(desc.state.paused).toBe(false);
  });

  it('an unknown schedule id exits 1 and says so', async () => {
    const run = await clasper(['schedules', 'pause', 'clasper-test-does-not-exist']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("no schedule 'clasper-test-does-not-exist'");
    await expect(
      stack.client.schedule.getHandle('clasper-test-does-not-exist').describe(),
    ).rejects.toBeInstanceOf(ScheduleNotFoundError);
  });
});

describe('clasper doctor', () => {
  beforeAll(async () => {
    // The worker's first poll reaches the server a moment after it starts.
    const { TaskQueueType } = temporal.api.enums.v1;
    await eventually(async () => {
      const tq = await stack.client.workflowService.describeTaskQueue({
        namespace: 'default',
        taskQueue: { name: stack.taskQueue },
        taskQueueType: TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
      });
      return tq.pollers.length > 0 ? true : undefined;
    }, 'the worker to poll');
  });

  // The doctor's model probes are real completions; the fake answers them like a server with function calling.
  beforeEach(() => stack.llm.respond(modelServerResponder()));

  const byName = (checks: DoctorCheck[]) => Object.fromEntries(checks.map((c) => [c.name, c]));

  it('a healthy system passes every check', async () => {
    const run = await clasper(['doctor', '--json']);
    const { ok, checks } = run.out.json<{ ok: boolean; checks: DoctorCheck[] }>();
    const c = byName(checks);
    expect(Object.keys(c)).toEqual([
      'config',
      'payload encryption',
      'temporal',
      'worker',
      'backend',
      'agent token',
      'model',
      'model answer',
      'model tools',
      'model streaming',
      'model context',
      'api',
      'workspace',
      'dispatcher',
    ]);
    // The dispatcher line reads the shared dev server's clasper-dispatcher schedule, which other
    // test files create, pause and delete: ok or a warning (test/integration/schedules covers each).
    for (const check of checks.filter((k) => k.name !== 'dispatcher'))
      expect([check.name, check.status, check.reason]).toEqual([check.name, 'ok', check.reason]);
    expect(['ok', 'warn']).toContain(c.dispatcher?.status);
    expect(ok).toBe(true);
    expect(run.code).toBe(0);
    expect(c.worker?.reason).toContain(`polling task queue '${stack.taskQueue}'`);
    expect(c.backend?.reason).toMatch(/^contract v1 at .*; features: tasks, messages, documents/);
    expect(c.model?.reason).toContain("'gpt-4o-mini' listed");
    expect(c['model tools']?.reason).toBe('a forced tool choice came back as a tool call');
    expect(c['model context']?.reason).toMatch(
      /tool schemas takes about \d+ tokens \(counted with o200k_base/,
    );
    expect(c.api?.reason).toContain('accepted the daemon key');
    // The model probe carried our key.
    const probe = stack.llm.requests.find((r) => r.path === '/v1/models');
    expect(probe?.headers.authorization).toBe(`Bearer ${TEST_OPENAI_KEY}`);

    const human = await clasper(['doctor']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^ok {4}worker +1 worker polling/m);
    expect(human.stdout).toMatch(/\nall checks passed( \(1 warning\))?\n/);
  });

  it('finds a wrong AGENT_JWT_SECRET: the backend rejects the agent token', async () => {
    const run = await clasper(['doctor', '--json'], {
      AGENT_JWT_SECRET: 'not-the-backends-secret-0123456789',
    });
    expect(run.code).toBe(1);
    const c = byName(run.out.json<{ checks: DoctorCheck[] }>().checks);
    expect(c.backend?.status).toBe('ok');
    expect(c['agent token']).toMatchObject({
      status: 'fail',
      reason:
        "the backend rejected the agent token: AGENT_JWT_SECRET / AGENT_JWT_ALGORITHM differ from the backend's",
      details: [expect.stringContaining('answered 401')],
    });
    expect(c['agent token']?.reason).toBe(JWT_REJECTED);

    const human = await clasper(['doctor'], { AGENT_JWT_ALGORITHM: 'HS512' });
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(
      /^FAIL {2}agent token +the backend rejected the agent token: AGENT_JWT_SECRET \/ AGENT_JWT_ALGORITHM differ/m,
    );
    expect(human.stdout).toContain('\n1 check failed\n');
  });

  it('reports what is down: no worker on the queue, an unreachable backend, an unreachable model endpoint, a wrong daemon key', async () => {
    const run = await clasper(['doctor', '--json'], {
      CLASPER_TASK_QUEUE: `cli-test-nobody-${crypto.randomUUID()}`,
      BACKEND_URL: 'http://127.0.0.1:9',
      OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
      AGENT_DAEMON_API_KEY: 'wrong-key',
    });
    expect(run.code).toBe(1);
    const c = byName(run.out.json<{ checks: DoctorCheck[] }>().checks);
    expect(c.temporal?.status).toBe('ok');
    expect(c.worker).toMatchObject({
      status: 'fail',
      reason: expect.stringContaining('no worker is polling task queue'),
    });
    expect(c.backend).toMatchObject({
      status: 'fail',
      reason: expect.stringContaining('not usable at http://127.0.0.1:9'),
    });
    expect(c['agent token']).toMatchObject({ status: 'warn', reason: 'not checked: backend not reachable' });
    expect(c.model).toMatchObject({ status: 'fail', reason: expect.stringContaining('not reachable') });
    expect(c.api).toMatchObject({
      status: 'fail',
      reason: expect.stringContaining('rejected AGENT_DAEMON_API_KEY'),
    });
  });

  it('demo mode is reported as such, without a network call', async () => {
    const run = await clasper(['doctor', '--json'], { OPENAI_BASE_URL: '', OPENAI_API_KEY: '' });
    const c = byName(run.out.json<{ checks: DoctorCheck[] }>().checks);
    expect(c.model).toMatchObject({ status: 'warn', reason: expect.stringContaining('demo mode') });
    expect(stack.llm.requests).toHaveLength(0);
    expect(run.code).toBe(0);
  });

  it('lists configuration problems and fails', async () => {
    const run = await clasper(['doctor'], { BACKEND_URL: 'localhost:8000', CLASPER_PORT: 'eighty' });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^FAIL {2}config {2}2 problems in the environment/m);
    expect(run.stdout).toContain("BACKEND_URL must be an http(s) URL, got 'localhost:8000'");
    expect(run.stdout).toContain("CLASPER_PORT must be a whole number, got 'eighty'");
  });
});
