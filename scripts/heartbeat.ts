/**
 * `USER_ID=u1 AGENT_ROLE=lead npm run heartbeat`: runs one heartbeat now, on the worker's task
 * queue, exactly as its schedule would, and prints what it did. Exit 1 with one clear line when
 * the backend or Temporal is unreachable, no worker picks it up, or the heartbeat fails.
 */
import { timeoutSettings, USER_ID_PATTERN } from '../src/config';
import type { HeartbeatResult } from '../src/shared/heartbeat';
import { makeHeartbeatScheduleId, makeSessionKey } from '../src/shared/ids';
import { turnSearchAttributes } from '../src/shared/search-attributes';
import {
  checkBackendReachable,
  connectTemporal,
  manualRunId,
  runOnce,
  runScript,
  scriptConfig,
  ScriptError,
} from './lib/run-once';

runScript('heartbeat', async () => {
  const config = scriptConfig(['USER_ID']);
  const userId = config.script.userId as string;
  const role = config.script.agentRole;
  if (!USER_ID_PATTERN.test(userId))
    throw new ScriptError(`USER_ID must be 1-128 characters of A-Z a-z 0-9 _ . @ -, got '${userId}'`);
  await checkBackendReachable(config);
  const { client, close } = await connectTemporal(config);
  try {
    const workflowId = manualRunId(makeHeartbeatScheduleId(userId, role));
    process.stdout.write(`running heartbeat ${workflowId}\n`);
    const r = await runOnce<HeartbeatResult>(client, config, {
      workflowType: 'heartbeat',
      workflowId,
      args: [{ userId, role, timeouts: timeoutSettings(config) }],
      typedSearchAttributes: turnSearchAttributes({
        userId,
        role,
        sessionKey: makeSessionKey(userId, role),
        trigger: 'heartbeat',
      }),
      staticSummary: `heartbeat of ${role} for ${userId} (manual)`,
    });
    process.stdout.write(`backend heartbeat: ${r.backend_heartbeat}\n`);
    if (r.turn === 'skipped') {
      process.stdout.write('turn: skipped (the workspace has no HEARTBEAT.md, or it is empty)\n');
    } else {
      const tools = r.tool_calls?.length
        ? `; tools: ${r.tool_calls.map((c) => `${c.name}${c.ok ? '' : ' (failed)'}`).join(', ')}`
        : '';
      const outcome = r.posted
        ? `posted a reply on task ${r.task_id}`
        : 'answered HEARTBEAT_OK (nothing posted)';
      process.stdout.write(`turn ${r.turn_id}: ${outcome}${tools}\n`);
    }
    process.stdout.write('heartbeat_ok\n');
  } finally {
    await close();
  }
});
