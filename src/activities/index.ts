/**
 * The activities the worker registers, composed from one thin factory per concern over the
 * clients: the task (task.ts), the workspace (workspace.ts), the model (model.ts), the tools
 * (tools.ts), the reply (reply.ts), the webhook (webhook.ts), the scheduled workflows'
 * (schedules.ts) and the llm-task check (json-task.ts). Workflows type their proxies with
 * `Activities`. Secrets (JWT secret, API keys) stay in here: inputs and results carry ids and text only.
 */
import type { Config } from '../config';
import { MissionControlClient } from '../clients/mission-control';
import { createModelClient } from '../clients/model/call-model';
import { tracedModelClient } from '../clients/tracing/model';
import { createWorkspace, type Workspace } from '../clients/workspace';
import { createBudgetGate } from './budget';
import { createJsonTaskActivities } from './json-task';
import { createModelActivities } from './model';
import { createReplyActivities } from './reply';
import { createScheduleActivities } from './schedules';
export { SELF_HEARTBEATING_ACTIVITIES } from './schedules';
import { createTaskActivities } from './task';
import { createToolActivities } from './tools';
import { createWebhookActivities } from './webhook';
import { createWorkspaceActivities } from './workspace';

export interface ActivityDeps {
  config: Config;
  /** Process environment, for skill gating only. */
  env: Record<string, string | undefined>;
  missionControl?: MissionControlClient;
  workspace?: Workspace;
  /** True once the worker has begun to shut down (see createScheduleActivities). */
  isStopping?: () => boolean;
}

export function createActivities(deps: ActivityDeps) {
  const { config } = deps;
  const mc = deps.missionControl ?? new MissionControlClient(config.backend);
  const workspace =
    deps.workspace ??
    createWorkspace({
      root: config.agent.workspace,
      env: deps.env,
      defaultTimezone: config.agent.defaultTimezone,
      includeTimeContext: config.agent.includeTimeContext,
    });

  return {
    ...createTaskActivities({ config, mc }),
    ...createWorkspaceActivities({ config, workspace }),
    ...createToolActivities({ mc, approvalTools: config.agent.approvalTools }),
    ...createModelActivities({
      model: tracedModelClient(createModelClient({ config: config.llm }), config.llm),
      budget: createBudgetGate(config.budgets),
    }),
    ...createReplyActivities({ mc }),
    ...createWebhookActivities({ config }),
    ...createScheduleActivities({ config, missionControl: mc, workspace, isStopping: deps.isStopping }),
    ...createJsonTaskActivities(),
  };
}

export type Activities = ReturnType<typeof createActivities>;
