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

export interface ProbeInput {
  userId: string;
  role: string;
  message: string;
  taskTitle: string;
}

// Same timeouts and retries as agentTurn's proxies (src/workflows/agent-turn.ts).
const regular = proxyActivities<Activities>({
  startToCloseTimeout: '45s',
  scheduleToCloseTimeout: '10m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 20 },
});
const model = proxyActivities<Activities>({
  startToCloseTimeout: '90s',
  scheduleToCloseTimeout: '10m',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '60s', maximumAttempts: 5 },
});
// Local: run inside the workflow task by the same worker; only a marker event per step. Safe for
// steps that are cheap and idempotent: a read (workspace, tools), a keyed find-or-create, a keyed post.
const local = proxyLocalActivities<Activities>({
  startToCloseTimeout: '45s',
  scheduleToCloseTimeout: '10m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 20 },
});

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
