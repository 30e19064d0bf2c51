/**
 * Heartbeat: one run per tick of `clasper-heartbeat/<user_id>/<role>`. Tells the backend the agent
 * is awake (when it has the endpoint), then runs one agent turn whose message is the workspace's
 * HEARTBEAT.md checklist on the HEARTBEAT_TASK task. The agent acts through its tools; a reply of
 * exactly `HEARTBEAT_OK` posts nothing.
 */
import { executeChild, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { WorkflowType, type AgentTurnWorkflow } from '../shared/workflow-types';
import { makeChildTurnId, makeSessionKey } from '../shared/ids';
import { turnSearchAttributes } from '../shared/search-attributes';
import { turnSummary, type AgentTurnInput } from '../shared/turn';
import { BACKEND_CALLS, LOCAL_READS } from './lib/activity-options';
import { childTimeout } from './lib/child-timeouts';
import { HEARTBEAT_OK, type HeartbeatInput, type HeartbeatResult } from '../shared/heartbeat';

const backend = proxyActivities<Activities>(BACKEND_CALLS);

const local = proxyActivities<Activities>(LOCAL_READS);

export async function heartbeat(input: HeartbeatInput): Promise<HeartbeatResult> {
  const identity = { userId: input.userId, role: input.role };
  const features = await backend.backendFeatures.executeWithOptions({ summary: 'backend capabilities' }, [
    identity,
  ]);
  if (features.heartbeat) {
    await backend.postHeartbeat.executeWithOptions({ summary: 'POST /api/mission-control/heartbeat' }, [
      identity,
    ]);
  }
  const base = {
    user_id: input.userId,
    role: input.role,
    backend_heartbeat: features.heartbeat ? ('called' as const) : ('unsupported' as const),
  };

  const plan = await local.prepareHeartbeat.executeWithOptions({ summary: 'read HEARTBEAT.md' }, []);
  if (plan.checklist === null) return { ...base, turn: 'skipped' };

  const turnInput: AgentTurnInput = {
    userId: input.userId,
    sessionKey: makeSessionKey(input.userId, input.role),
    role: input.role,
    message: plan.checklist,
    history: [],
    taskTitle: plan.taskTitle,
    metadata: { type: 'heartbeat' },
    trigger: 'heartbeat',
    maxToolIterations: plan.maxToolIterations,
    silentReply: HEARTBEAT_OK,
  };
  const turnId = makeChildTurnId(workflowInfo().workflowId);
  const turn = await executeChild<AgentTurnWorkflow>(WorkflowType.agentTurn, {
    workflowId: turnId,
    args: [turnInput],
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    ...childTimeout(WorkflowType.agentTurn, input.timeouts),
    typedSearchAttributes: turnSearchAttributes(turnInput),
    staticSummary: turnSummary(turnInput),
  });
  return {
    ...base,
    turn: 'completed',
    turn_id: turnId,
    task_id: turn.task_id,
    posted: turn.posted,
    response: turn.response,
    tool_calls: turn.tool_calls.map((c) => ({ name: c.name, ok: c.ok })),
  };
}
