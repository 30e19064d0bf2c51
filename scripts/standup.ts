/**
 * `USER_ID=u1 AGENT_ROLE=lead npm run standup`: writes one standup now (STANDUP_TIMEZONE decides
 * its date), on the worker's task queue, exactly as its schedule would, and prints what it posted.
 * Exit 1 with one clear line when anything on the way fails.
 */
import { USER_ID_PATTERN } from '../src/config';
import { makeSessionKey, makeStandupScheduleId } from '../src/shared/ids';
import { turnSearchAttributes } from '../src/shared/search-attributes';
import type { StandupResult } from '../src/shared/standup';
import {
  checkBackendReachable,
  connectTemporal,
  manualRunId,
  runOnce,
  runScript,
  scriptConfig,
  ScriptError,
} from './lib/run-once';

runScript('standup', async () => {
  const config = scriptConfig(['USER_ID']);
  const userId = config.script.userId as string;
  const role = config.script.agentRole;
  const timezone = config.schedules.standupTimezone;
  if (!USER_ID_PATTERN.test(userId))
    throw new ScriptError(`USER_ID must be 1-128 characters of A-Z a-z 0-9 _ . @ -, got '${userId}'`);
  await checkBackendReachable(config);
  const { client, close } = await connectTemporal(config);
  try {
    const workflowId = manualRunId(makeStandupScheduleId(userId, role));
    process.stdout.write(`running standup ${workflowId} (${timezone})\n`);
    const r = await runOnce<StandupResult>(client, config, {
      workflowType: 'standup',
      workflowId,
      args: [{ userId, role, timezone }],
      typedSearchAttributes: turnSearchAttributes({
        userId,
        role,
        sessionKey: makeSessionKey(userId, role),
        trigger: 'standup',
      }),
      staticSummary: `daily standup of ${role} for ${userId} (manual)`,
    });
    process.stdout.write(
      `posted "${r.title}" (document ${r.document_id}) on task ${r.task_id} from ${r.tasks} tasks; backend standup: ${r.backend_standup}\n`,
    );
    process.stdout.write('standup_ok\n');
  } finally {
    await close();
  }
});
