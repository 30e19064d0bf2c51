/**
 * The payloads AgentTurn sends its webhook (`agent.completed`, `agent.failed`) and the short
 * argument text shown beside each tool activity in the Temporal UI. Pure and workflow-safe.
 */
import type { AgentTurnInput, AgentTurnResult } from '../../shared/turn';
import type { ToolCall } from '../../shared/types';

export function completedWebhook(input: AgentTurnInput, r: AgentTurnResult): Record<string, unknown> {
  return {
    event: 'agent.completed',
    turn_id: r.turn_id,
    task_id: r.task_id,
    user_id: input.userId,
    role: input.role,
    response: r.response,
    usage: r.usage,
    cost: r.cost,
    tool_calls: r.tool_calls,
    metadata: input.metadata,
  };
}

export function failedWebhook(input: AgentTurnInput, turnId: string, error: string): Record<string, unknown> {
  return {
    event: 'agent.failed',
    turn_id: turnId,
    user_id: input.userId,
    role: input.role,
    error,
    metadata: input.metadata,
  };
}

export function cancelledWebhook(
  input: AgentTurnInput,
  turnId: string,
  reason: string,
): Record<string, unknown> {
  return {
    event: 'agent.cancelled',
    turn_id: turnId,
    user_id: input.userId,
    role: input.role,
    reason,
    metadata: input.metadata,
  };
}

/** A tool call now waits for a decision: the receiver can route it to a reviewer. */
export function approvalRequiredWebhook(
  input: AgentTurnInput,
  turnId: string,
  call: ToolCall,
  step: number,
): Record<string, unknown> {
  return {
    event: 'agent.approval_required',
    turn_id: turnId,
    user_id: input.userId,
    role: input.role,
    call_id: call.id,
    name: call.function.name,
    arguments: call.function.arguments,
    step,
    metadata: input.metadata,
  };
}

/** A tool call's arguments on one line of at most 80 characters, for the activity summary. */
export function summariseArguments(json: string): string {
  const oneLine = json.replace(/\s+/g, ' ');
  return oneLine.length > 80 ? `${oneLine.slice(0, 77)}...` : oneLine;
}
