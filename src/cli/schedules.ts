/**
 * `clasper schedules list|trigger|pause|unpause`: Clasper's Temporal Schedules (dispatcher,
 * heartbeats, standups; ids start with `clasper-`), managed through the Temporal client directly
 * so these work while the API is down.
 */
import { ScheduleNotFoundError, type Client, type ScheduleSummary } from '@temporalio/client';
import type { Config } from '../config';
import { errorMessage, fail, printJson, printLine, table, type Out, type Printer } from './output';
import { withTemporalClient } from './temporal';

export const SCHEDULE_PREFIX = 'clasper-';

export interface SchedulesDeps {
  config: Config;
  out: Out;
  client?: Client;
}

export interface ScheduleRow {
  schedule_id: string;
  paused: boolean;
  note?: string;
  workflow_type?: string;
  next_run: string | null;
  last_run: string | null;
  last_workflow_id: string | null;
}

export async function listClasperSchedules(client: Client): Promise<ScheduleRow[]> {
  const rows: ScheduleRow[] = [];
  for await (const s of client.schedule.list()) {
    if (s.scheduleId.startsWith(SCHEDULE_PREFIX)) rows.push(toRow(s));
  }
  return rows.sort((a, b) => a.schedule_id.localeCompare(b.schedule_id));
}

function toRow(s: ScheduleSummary): ScheduleRow {
  const last = s.info.recentActions.at(-1);
  return {
    schedule_id: s.scheduleId,
    paused: s.state.paused,
    ...(s.state.note ? { note: s.state.note } : {}),
    ...(s.action ? { workflow_type: s.action.workflowType } : {}),
    next_run: s.info.nextActionTimes[0]?.toISOString() ?? null,
    last_run: last?.takenAt.toISOString() ?? null,
    last_workflow_id: last?.action.workflow.workflowId ?? null,
  };
}

export async function runSchedulesList(opts: { json?: boolean }, deps: SchedulesDeps): Promise<number> {
  const p: Printer = { out: deps.out, json: opts.json === true };
  try {
    const rows = await withTemporalClient(deps.config, deps.client, listClasperSchedules);
    if (p.json) {
      printJson(p.out, { schedules: rows });
    } else if (rows.length === 0) {
      printLine(
        p.out,
        `no Clasper schedules (ids starting with '${SCHEDULE_PREFIX}') in namespace '${deps.config.temporal.namespace}'`,
      );
    } else {
      p.out.stdout(
        table([
          ['SCHEDULE', 'STATE', 'WORKFLOW', 'NEXT RUN', 'LAST RUN'],
          ...rows.map((r) => [
            r.schedule_id,
            r.paused ? 'paused' : 'active',
            r.workflow_type ?? '-',
            r.next_run ?? '-',
            r.last_run ?? '-',
          ]),
        ]),
      );
    }
    return 0;
  } catch (err) {
    return fail(p, errorMessage(err));
  }
}

export async function runScheduleTrigger(
  id: string,
  opts: { json?: boolean },
  deps: SchedulesDeps,
): Promise<number> {
  return onSchedule(id, opts, deps, async (client) => {
    await client.schedule.getHandle(id).trigger();
    return {
      result: { schedule_id: id, triggered: true },
      text: `triggered ${id} (its overlap policy still applies)`,
    };
  });
}

export function runSchedulePause(
  id: string,
  opts: { json?: boolean; note?: string },
  deps: SchedulesDeps,
): Promise<number> {
  return setPaused(id, true, opts, deps);
}

export function runScheduleUnpause(
  id: string,
  opts: { json?: boolean; note?: string },
  deps: SchedulesDeps,
): Promise<number> {
  return setPaused(id, false, opts, deps);
}

async function setPaused(
  id: string,
  paused: boolean,
  opts: { json?: boolean; note?: string },
  deps: SchedulesDeps,
): Promise<number> {
  const verb = paused ? 'paused' : 'unpaused';
  return onSchedule(id, opts, deps, async (client) => {
    const handle = client.schedule.getHandle(id);
    const note = opts.note ?? `${verb} with clasper schedules ${paused ? 'pause' : 'unpause'}`;
    await (paused ? handle.pause(note) : handle.unpause(note));
    const state = (await handle.describe()).state;
    return {
      result: { schedule_id: id, paused: state.paused, note: state.note ?? null },
      text: `${verb} ${id}`,
    };
  });
}

async function onSchedule(
  id: string,
  opts: { json?: boolean },
  deps: SchedulesDeps,
  action: (client: Client) => Promise<{ result: object; text: string }>,
): Promise<number> {
  const p: Printer = { out: deps.out, json: opts.json === true };
  try {
    const { result, text } = await withTemporalClient(deps.config, deps.client, action);
    if (p.json) printJson(p.out, result);
    else printLine(p.out, text);
    return 0;
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) {
      return fail(
        p,
        `no schedule '${id}' in namespace '${deps.config.temporal.namespace}' (clasper schedules list shows them)`,
      );
    }
    return fail(p, errorMessage(err));
  }
}
