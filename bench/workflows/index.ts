/**
 * Probe workflows for the tuning scenario, never deployed: the activity sequence of a plain
 * AgentTurn (resolve task → load workspace → list tools → model → post reply) with the same
 * activity functions, once with every step a regular activity (what agentTurn does today) and once
 * with the cheap, re-runnable steps as local activities (the proposed change). Comparing the two
 * in one run prices the change before src/workflows is touched. Deterministic code only.
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../../src/activities';
import type { ChatMessage } from '../../src/shared/types';
import { BACKEND_CALLS, modelCalls } from '../../src/workflows/lib/activity-options';

export interface ProbeInput {
  userId: string;
  role: string;
  message: string;
  taskTitle: string;
}

// The same option profiles as agentTurn's proxies, so the probe cannot drift from the turn.
const regular = proxyActivities<Activities>(BACKEND_CALLS);
const model = proxyActivities<Activities>(modelCalls());
// Local: run inside the workflow task by the same worker; only a marker event per step. Safe for
// steps that are cheap and idempotent: a read (workspace, tools), a keyed find-or-create, a keyed post.
// Local activities do not heartbeat, so the profile's heartbeat timeout is left out.
const { heartbeatTimeout: _noHeartbeat, ...localOptions } = BACKEND_CALLS;
const local = proxyLocalActivities<Activities>(localOptions);

type Steps = Pick<Activities, 'resolveTask' | 'loadWorkspace' | 'listTools' | 'postReply'>;

async function plainTurn(steps: Steps, input: ProbeInput, key: string): Promise<string> {
  const identity = { userId: input.userId, role: input.role };
  const task = await steps.resolveTask({ ...identity, taskTitle: input.taskTitle });
  const workspace = await steps.loadWorkspace({
    role: input.role,
    systemMessages: [],
    conversationChars: input.message.length,
  });
  const tools = await steps.listTools(identity);
  const messages: ChatMessage[] = [
    { role: 'system', content: workspace.systemPrompt },
    { role: 'user', content: input.message },
  ];
  const answer = await model.callModel({ messages, tools, tier: 'default' });
  const content = answer.content ?? '';
  await steps.postReply({ ...identity, taskId: task.taskId, content, idempotencyKey: key });
  return content;
}

/** agentTurn's sequence for a plain reply, every step a regular activity. */
export async function probeRegularTurn(input: ProbeInput, key: string): Promise<string> {
  return plainTurn(regular, input, key);
}

/** The same with resolveTask, loadWorkspace, listTools and postReply as local activities. */
export async function probeLocalSetupTurn(input: ProbeInput, key: string): Promise<string> {
  return plainTurn(local, input, key);
}
