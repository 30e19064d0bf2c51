/**
 * The heartbeat on the real stack: its schedule runs a turn whose message is the repo workspace's
 * HEARTBEAT.md; `HEARTBEAT_OK` posts nothing, real work goes through tools and is posted; the
 * backend's heartbeat endpoint is called when its capabilities list it.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import { createClasperWorker } from '../../../src/worker/worker';
import type { HeartbeatResult } from '../../../src/shared/heartbeat';
import { makeHeartbeatScheduleId } from '../../../src/shared/ids';
import { ensureHeartbeatSchedule } from '../../../src/schedules/ensure';
import { lastUserText, trackSchedule, triggerAndAwait, uniqueUser, useScheduleStack } from './helpers';

const stack = useScheduleStack();

function runHeartbeat(userId: string, role = 'lead'): Promise<HeartbeatResult> {
  const s = stack();
  return s.client.workflow.execute('heartbeat', {
    taskQueue: s.taskQueue,
    workflowId: `test-heartbeat/${userId}/${crypto.randomUUID()}`,
    args: [{ userId, role }],
  });
}

describe('heartbeat', () => {
  it('runs from its schedule; HEARTBEAT_OK posts nothing; the backend heartbeat is called', async () => {
    const user = uniqueUser();
    const agent = { userId: user, role: 'lead' };
    // Paused with a long interval: only our trigger runs it.
    const { handle, scheduleId } = await ensureHeartbeatSchedule(
      stack().client,
      stack().config,
      agent,
      { intervalMinutes: 60 },
      { paused: true },
    );
    trackSchedule(scheduleId);
    expect(scheduleId).toBe(makeHeartbeatScheduleId(user, 'lead'));
    stack().llm.script({ text: 'HEARTBEAT_OK' });

    const { result } = await triggerAndAwait<HeartbeatResult>(stack().client, handle);
    expect(result).toMatchObject({
      turn: 'completed',
      posted: false,
      response: 'HEARTBEAT_OK',
      backend_heartbeat: 'called',
    });
    expect(lastUserText(stack().llm.lastRequest())).toContain('Heartbeat check');

    const data = await stack().backend.inspect(user);
    expect(data.messages).toEqual([]);
    expect(data.heartbeats).toEqual([expect.objectContaining({ user_id: user, agent_role: 'lead' })]);
    expect(data.tasks.map((t) => t.title)).toEqual(['Agent Heartbeat']);
  });

  it('acts through tools when there is work, and posts what it did', async () => {
    const user = uniqueUser();
    stack().llm.script(
      { toolCalls: [{ name: 'create_task', arguments: { title: 'Chase the blocked invoice' } }] },
      { text: 'Created a follow-up task for the blocked invoice.' },
    );
    const result = await runHeartbeat(user);
    expect(result).toMatchObject({ posted: true, tool_calls: [{ name: 'create_task', ok: true }] });

    const data = await stack().backend.inspect(user);
    expect(data.tasks.map((t) => t.title).sort()).toEqual(['Agent Heartbeat', 'Chase the blocked invoice']);
    const heartbeatTask = data.tasks.find((t) => t.title === 'Agent Heartbeat');
    expect(data.messages).toEqual([
      expect.objectContaining({
        task_id: heartbeatTask?.id,
        content: 'Created a follow-up task for the blocked invoice.',
        actor_type: 'agent',
      }),
    ]);
  });

  it('skips the turn when the workspace has no HEARTBEAT.md (the backend heartbeat still goes out)', async () => {
    const s = stack();
    const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'clasper-no-heartbeat-'));
    fs.writeFileSync(path.join(workspace, 'SOUL.md'), 'You are a test agent.');
    const taskQueue = `${s.taskQueue}-no-heartbeat`;
    const connection = await NativeConnection.connect({ address: s.config.temporal.address });
    try {
      const worker = await createClasperWorker({
        config: { ...s.config, agent: { ...s.config.agent, workspace } },
        connection,
        env: {},
        workflowBundlePath: process.env.CLASPER_TEST_WORKFLOW_BUNDLE,
        taskQueue,
      });
      const user = uniqueUser();
      const result = await worker.runUntil(
        s.client.workflow.execute('heartbeat', {
          taskQueue,
          workflowId: `test-heartbeat/${user}/${crypto.randomUUID()}`,
          args: [{ userId: user, role: 'lead' }],
        }),
      );
      expect(result).toEqual({ user_id: user, role: 'lead', backend_heartbeat: 'called', turn: 'skipped' });
      expect(s.llm.chatRequests()).toHaveLength(0);
      expect((await s.backend.inspect(user)).heartbeats).toHaveLength(1);
    } finally {
      await connection.close();
      fs.rmSync(workspace, { recursive: true, force: true });
    }
  });

  it('does not call the heartbeat endpoint when the backend does not offer it', async () => {
    const user = uniqueUser();
    // A backend without a capabilities endpoint offers no optional features.
    await stack().backend.internal('POST', '/api/mission-control/_faults', {
      rules: [{ method: 'GET', path: '/api/mission-control/capabilities', mode: 'status', status: 404 }],
    });
    stack().llm.script({ text: 'HEARTBEAT_OK' });
    expect(await runHeartbeat(user)).toMatchObject({ backend_heartbeat: 'unsupported', posted: false });
    expect((await stack().backend.inspect(user)).heartbeats).toEqual([]);
  });
});
