/** `listTools` and `runTool`: the model's tools over Mission Control, each call counted in the metrics. */
import type { ToolOutcome, ToolSpec } from '../shared/types';
import {
  listTools,
  listTurnTools,
  runTool,
  type AgentIdentity,
  type MissionControlClient,
} from '../clients/mission-control';
import { callOptions } from './context';
import { recordToolCall } from './metrics';

export interface RunToolActivityInput extends AgentIdentity {
  name: string;
  argumentsJson: string;
  idempotencyKey: string;
}

export function createToolActivities({
  mc,
  approvalTools = [],
}: {
  mc: MissionControlClient;
  approvalTools?: readonly string[];
}) {
  return {
    async listTools(identity: AgentIdentity): Promise<ToolSpec[]> {
      return listTools(mc, identity, callOptions());
    },

    /** The tools of a turn and which need approval (AgentTurn v2; v1 runs call listTools). */
    async listTurnTools(identity: AgentIdentity): Promise<{ tools: ToolSpec[]; approvalRequired: string[] }> {
      return listTurnTools(mc, identity, approvalTools, callOptions());
    },

    async runTool(input: RunToolActivityInput): Promise<ToolOutcome> {
      const identity = { userId: input.userId, role: input.role };
      const outcome = await runTool(
        mc,
        identity,
        { name: input.name, argumentsJson: input.argumentsJson, idempotencyKey: input.idempotencyKey },
        callOptions(),
      );
      recordToolCall(input.name, outcome);
      return outcome;
    },
  };
}
