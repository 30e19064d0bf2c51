/**
 * Probe workflows for the tuning scenario, never deployed: the step shape of a plain AgentTurn
 * with the same activity functions and option profiles, so one run can price a change before
 * src/workflows is touched. Deterministic code only.
 *
 * - probeTurnToday: the turn as it runs today (AgentTurn v2): resolve task, load workspace and
 *   list tools concurrently as local activities, the model call a regular activity, the reply a
 *   local activity. Its figures should match the real turn's minus the API hop.
 * - probeLocalModelTurn: the same with the model call as a local activity too (issue 12, item 1:
 *   "consider whether the model call itself can be a local activity when it is short").
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../../src/activities';
import type { ChatMessage } from '../../src/shared/types';
import { LOCAL_BACKEND_STEPS, LOCAL_STEPS, modelCalls } from '../../src/workflows/lib/activity-options';

export interface ProbeInput {
  userId: string;
  role: string;
  message: string;
  taskTitle: string;
}

// The same option profiles as agentTurn's proxies, so the probe cannot drift from the turn.
const backendSteps = proxyLocalActivities<Activities>(LOCAL_BACKEND_STEPS);
const localSteps = proxyLocalActivities<Activities>(LOCAL_STEPS);
const model = proxyActivities<Activities>(modelCalls());
// A local activity cannot heartbeat (the workflow task does): the model profile without it.
const { heartbeatTimeout: _noHeartbeat, ...localModelOptions } = modelCalls();
const localModel = proxyLocalActivities<Activities>(localModelOptions);

type CallModel = Activities['callModel'];

async function plainTurn(callModel: CallModel, input: ProbeInput, key: string): Promise<string> {
  const identity = { userId: input.userId, role: input.role };
  const [task, workspace, tools] = await Promise.all([
    backendSteps.resolveTask({ ...identity, taskTitle: input.taskTitle }),
    localSteps.loadWorkspace({
      role: input.role,
      systemMessages: [],
      conversationChars: input.message.length,
    }),
    backendSteps.listTurnTools(identity),
  ]);
  const messages: ChatMessage[] = [
    { role: 'system', content: workspace.systemPrompt },
    { role: 'user', content: input.message },
  ];
  const answer = await callModel({
    messages,
    tools: tools.tools.length > 0 ? tools.tools : undefined,
    rejectEmpty: true,
    tier: 'default',
  });
  const content = answer.content ?? '';
  await backendSteps.postReply({ ...identity, taskId: task.taskId, content, idempotencyKey: key });
  return content;
}

/** Today's AgentTurn shape for a plain reply: local setup and reply, the model a regular activity. */
export async function probeTurnToday(input: ProbeInput, key: string): Promise<string> {
  return plainTurn(model.callModel, input, key);
}

/** The same with the model call as a local activity: one workflow task for the whole plain turn. */
export async function probeLocalModelTurn(input: ProbeInput, key: string): Promise<string> {
  return plainTurn(localModel.callModel, input, key);
}
