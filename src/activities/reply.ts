/** `postReply`: the turn's answer as one agent message, and with a plan title also the plan document. */
import type { AgentIdentity, MissionControlClient } from '../clients/mission-control';
import { callOptions } from './context';

export interface PostReplyInput extends AgentIdentity {
  taskId: string;
  content: string;
  idempotencyKey: string;
  /** With `kickoff_plan`: also a `plan` document with this title. */
  planTitle?: string;
}

export function createReplyActivities({ mc }: { mc: MissionControlClient }) {
  return {
    /** The reply as one agent message; with a plan title, also the plan document. Both keyed, so retries write once. */
    async postReply(input: PostReplyInput): Promise<{ messageId: string; documentId?: string }> {
      const identity = { userId: input.userId, role: input.role };
      const opts = callOptions();
      const message = await mc.postMessage(
        identity,
        { task_id: input.taskId, content: input.content, actor_type: 'agent', agent_role: input.role },
        input.idempotencyKey,
        opts,
      );
      if (!input.planTitle) return { messageId: String(message.id) };
      const doc = await mc.createDocument(
        identity,
        { task_id: input.taskId, title: input.planTitle, content: input.content, doc_type: 'plan' },
        `${input.idempotencyKey}/plan`,
        opts,
      );
      return { messageId: String(message.id), documentId: String(doc.id) };
    },
  };
}
