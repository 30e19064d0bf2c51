/**
 * `npm run dispatcher`: ensures the `clasper-dispatcher` schedule (create or update, from
 * DISPATCH_WINDOW_SEC and DISPATCH_INTERVAL_SEC) and prints its state. `npm run dispatcher -- --once`: runs one dispatch
 * now on the worker's task queue and prints what it did. Exit 1 with one clear line on failure.
 */
import { timeoutSettings } from '../src/config';
import type { DispatchResult } from '../src/shared/dispatch';
import { DISPATCHER_SCHEDULE_ID } from '../src/shared/ids';
import { describeSchedule } from '../src/schedules/describe';
import {
  backendOffersDispatch,
  ensureDispatcherSchedule,
  pauseUnsupportedDispatcher,
} from '../src/schedules/ensure';
import {
  ScriptError,
  checkBackendReachable,
  connectTemporal,
  manualRunId,
  runOnce,
  runScript,
  scriptConfig,
} from './lib/run-once';

const once = process.argv.includes('--once');

runScript('dispatcher', async () => {
  const config = scriptConfig();
  if (once) await checkBackendReachable(config);
  const dispatch = await backendOffersDispatch(config);
  if (once && dispatch.offered === false)
    throw new ScriptError(
      `the backend at ${config.backend.url} does not offer notification dispatch (features.notifications_dispatch is false)`,
    );
  const { client, close } = await connectTemporal(config);
  try {
    if (dispatch.offered === false) {
      const report = await pauseUnsupportedDispatcher(client, DISPATCHER_SCHEDULE_ID);
      process.stdout.write(`schedule ${DISPATCHER_SCHEDULE_ID}: not running (${report.reason})\n`);
      return;
    }
    if (once) {
      const workflowId = manualRunId(DISPATCHER_SCHEDULE_ID);
      const r = await runOnce<DispatchResult>(client, config, {
        workflowType: 'dispatcher',
        workflowId,
        args: [{ timeouts: timeoutSettings(config) }],
        staticSummary: 'poll undelivered notifications (manual)',
      });
      process.stdout.write(
        `dispatch ${workflowId}: fetched ${r.fetched}, started ${r.started}, already handled ${r.alreadyHandled}, ` +
          `malformed ${r.malformed}, deferred ${r.deferred}\n`,
      );
      return;
    }
    const { outcome } = await ensureDispatcherSchedule(client, config);
    const view = await describeSchedule(client, DISPATCHER_SCHEDULE_ID);
    if (!view) throw new Error(`${DISPATCHER_SCHEDULE_ID} could not be read back`);
    const every = view.spec.intervals.map((i) => `${i.every_seconds}s`).join(', ');
    process.stdout.write(
      [
        `schedule ${view.schedule_id}: ${outcome}`,
        `  every ${every} (each run polls every ${config.dispatch.intervalSec}s within it) on task queue '${config.temporal.taskQueue}', ${view.paused ? `PAUSED${view.note ? ` (${view.note})` : ''}` : 'active'}`,
        `  next runs: ${view.next_action_times.slice(0, 3).join(', ') || '(none)'}`,
        `  recent runs: ${
          view.recent_actions
            .slice(-3)
            .map((a) => a.workflow_id)
            .join(', ') || '(none yet)'
        }`,
        ...(config.backend.internalToken
          ? []
          : ['  note: INTERNAL_API_TOKEN is not set here; the worker needs it to poll the backend']),
        '',
      ].join('\n'),
    );
  } finally {
    await close();
  }
});
