/**
 * The baseline: one turn as a stateless runtime (or a hand-written loop) runs it: the same
 * activity functions from `createActivities`, called in the same order in this process, with no
 * Temporal in between: resolveTask → loadWorkspace → listTools → (callModel → runTool…)* →
 * postReply. Tool calls of one step run in parallel, as the workflow runs them. No webhook (the
 * bench sends none), no retries, no history.
 */
import { randomUUID } from 'node:crypto';
import { createActivities, type Activities } from '../../src/activities';
import type { Config } from '../../src/config';
import { makeIdempotencyKey, makeToolActivityId, REPLY_ACTIVITY_ID } from '../../src/shared/ids';
import type { ChatMessage } from '../../src/shared/types';

export interface BaselineTurnInput {
  userId: string;
  role: string;
  message: string;
  taskTitle: string;
  maxToolIterations: number;
}

export function createBaseline(
  config: Config,
): (input: BaselineTurnInput) => Promise<{ response: string; steps: number }> {
  const acts: Activities = createActivities({ config, env: {} });
  return async (input) => {
    const turnId = `baseline/${input.userId}/${randomUUID()}`;
    const identity = { userId: input.userId, role: input.role };
    const task = await acts.resolveTask({ ...identity, taskTitle: input.taskTitle });
    const workspace = await acts.loadWorkspace({
      role: input.role,
      systemMessages: [],
      conversationChars: input.message.length,
    });
    const tools = await acts.listTools(identity);
    const known = new Set(tools.map((t) => t.function.name));
    const messages: ChatMessage[] = [
      { role: 'system', content: workspace.systemPrompt },
      { role: 'user', content: input.message },
    ];
    let response = '';
    let step = 1;
    for (; step <= input.maxToolIterations; step++) {
      const answer = await acts.callModel({
        messages,
        tools: tools.length ? tools : undefined,
        tier: 'default',
      });
      if (answer.toolCalls.length === 0) {
        response = answer.content ?? '';
        break;
      }
      messages.push({ role: 'assistant', content: answer.content, tool_calls: answer.toolCalls });
      const outcomes = await Promise.all(
        answer.toolCalls.map((call) =>
          known.has(call.function.name)
            ? acts.runTool({
                ...identity,
                name: call.function.name,
                argumentsJson: call.function.arguments,
                idempotencyKey: makeIdempotencyKey(turnId, makeToolActivityId(step, call.id)),
              })
            : Promise.resolve({
                ok: false,
                content: JSON.stringify({ error: `unknown tool ${call.function.name}` }),
              }),
        ),
      );
      answer.toolCalls.forEach((call, i) => {
        messages.push({ role: 'tool', tool_call_id: call.id, content: outcomes[i]?.content ?? '' });
      });
    }
    await acts.postReply({
      ...identity,
      taskId: task.taskId,
      content: response,
      idempotencyKey: makeIdempotencyKey(turnId, REPLY_ACTIVITY_ID),
    });
    return { response, steps: step };
  };
}
