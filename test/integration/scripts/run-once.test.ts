/**
 * The one-shot scripts as a user runs them (`tsx scripts/<name>.ts` with env, as `npm run …`
 * does): against the real stack they print what they did and exit 0; with nothing listening at
 * BACKEND_URL, or without USER_ID, they exit 1 with one clear line; a run that fails on the real
 * dev server prints its root cause (through activity and child-workflow failures).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT, freePort } from '../../../scripts/lib/temporal-dev-server';
import { DISPATCHER_SCHEDULE_ID } from '../../../src/shared/ids';
import type { Stack } from '../../support/stack';
import { TEST_INTERNAL_TOKEN, TEST_JWT_SECRET } from '../../support/stack';
import { enqueueNotification, trackSchedule, uniqueUser, useScheduleStack } from '../workflows/helpers';

const stack = useScheduleStack({ env: { CLASPER_DEFAULT_TASK: 'Inbox' } });

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runScript(name: string, env: Record<string, string>, args: string[] = []): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [path.join(REPO_ROOT, 'node_modules/tsx/dist/cli.mjs'), `scripts/${name}.ts`, ...args],
      {
        cwd: REPO_ROOT,
        // Only what the script needs: PATH for tsx, and the settings under test.
        env: { PATH: process.env.PATH ?? '', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The env a script needs to reach this stack's backend, Temporal and worker. */
function stackEnv(s: Stack, extra: Record<string, string> = {}): Record<string, string> {
  return {
    BACKEND_URL: s.backend.url,
    TEMPORAL_ADDRESS: s.config.temporal.address,
    CLASPER_TASK_QUEUE: s.taskQueue,
    AGENT_JWT_SECRET: TEST_JWT_SECRET,
    INTERNAL_API_TOKEN: TEST_INTERNAL_TOKEN,
    CLASPER_SEND_TIMEOUT_SEC: '30',
    ...extra,
  };
}

describe('scripts', () => {
  it('heartbeat with a backend URL nothing listens on exits 1 with a clear message', async () => {
    const port = await freePort();
    const out = await runScript('heartbeat', {
      ...stackEnv(stack(), { BACKEND_URL: `http://127.0.0.1:${port}` }),
      USER_ID: 'u1',
      AGENT_ROLE: 'lead',
    });
    expect(out.code).toBe(1);
    expect(out.stderr).toContain(
      `heartbeat failed: Mission Control is not reachable at http://127.0.0.1:${port}`,
    );
    expect(out.stderr).toContain('BACKEND_URL');
  });

  it('heartbeat without USER_ID exits 1 naming it', async () => {
    const out = await runScript('heartbeat', stackEnv(stack()));
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/USER_ID is required/);
  });

  it('heartbeat runs one heartbeat through the worker and prints the outcome', async () => {
    const user = uniqueUser();
    stack().llm.script({ text: 'HEARTBEAT_OK' });
    const out = await runScript('heartbeat', { ...stackEnv(stack()), USER_ID: user, AGENT_ROLE: 'lead' });
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('backend heartbeat: called');
    expect(out.stdout).toContain('answered HEARTBEAT_OK (nothing posted)');
    expect(out.stdout.trim().endsWith('heartbeat_ok')).toBe(true);
    expect((await stack().backend.inspect(user)).heartbeats).toHaveLength(1);
  });

  it('a heartbeat whose workflow fails prints the root cause, not "Workflow execution failed"', async () => {
    const user = uniqueUser();
    const faults = await stack().backend.internal('POST', '/api/mission-control/_faults', {
      rules: [
        { method: 'POST', path: '/api/mission-control/heartbeat', mode: 'status', status: 400, times: 1 },
      ],
    });
    expect(faults.ok).toBe(true);
    const out = await runScript('heartbeat', { ...stackEnv(stack()), USER_ID: user, AGENT_ROLE: 'lead' });
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(
      /^heartbeat failed: heartbeat clasper-heartbeat\/\S+ failed: POST \/api\/mission-control\/heartbeat answered 400: /,
    );
    expect(out.stderr).not.toContain('Workflow execution failed');
    expect(out.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a standup whose child turn fails prints the innermost cause through the child workflow', async () => {
    const user = uniqueUser();
    // The model answers 400 (never retried): the standup's agent turn, a child workflow, fails.
    stack().llm.script({ status: 400, error: 'model refused the prompt' });
    const out = await runScript('standup', {
      ...stackEnv(stack()),
      USER_ID: user,
      AGENT_ROLE: 'lead',
      STANDUP_TIMEZONE: 'UTC',
    });
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(
      /^standup failed: standup clasper-standup\/\S+ failed: .*model refused the prompt/,
    );
    expect(out.stderr).not.toContain('Workflow execution failed');
  });

  it('standup posts one standup and prints it', async () => {
    const user = uniqueUser();
    stack().llm.script({ text: '## Done\n- Nothing\n\n## Doing\n- Nothing\n\n## Blocked\n- Nothing' });
    const out = await runScript('standup', {
      ...stackEnv(stack()),
      USER_ID: user,
      AGENT_ROLE: 'lead',
      STANDUP_TIMEZONE: 'Europe/Berlin',
    });
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/posted "Standup \d{4}-\d{2}-\d{2}"/);
    expect((await stack().backend.inspect(user)).documents).toEqual([
      expect.objectContaining({ doc_type: 'standup' }),
    ]);
  });

  it('dispatcher --once dispatches now; without it, ensures the schedule and prints its state', async () => {
    const user = uniqueUser();
    await enqueueNotification(stack(), { user_id: user, session_key: `user:${user}:lead`, content: 'hello' });
    stack().llm.script({ text: 'Hi!' });
    const once = await runScript('dispatcher', stackEnv(stack()), ['--once']);
    expect(once.stderr).toBe('');
    expect(once.code).toBe(0);
    expect(once.stdout).toMatch(/fetched 1, started 1, already handled 0, malformed 0, deferred 0/);

    trackSchedule(DISPATCHER_SCHEDULE_ID);
    const ensured = await runScript('dispatcher', { ...stackEnv(stack()), DISPATCH_INTERVAL_SEC: '3600' });
    expect(ensured.stderr).toBe('');
    expect(ensured.code).toBe(0);
    expect(ensured.stdout).toMatch(/schedule clasper-dispatcher: (created|updated)/);
    expect(ensured.stdout).toContain('every 3600s');
    await stack().client.schedule.getHandle(DISPATCHER_SCHEDULE_ID).pause();
  });
});
