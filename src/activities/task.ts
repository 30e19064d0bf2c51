/**
 * `resolveTask`: the task a turn replies on, as given (once the backend confirms it exists) or
 * found-or-created by title. It runs before the first model call, so a turn on a task that does
 * not exist fails here instead of after the model was paid for.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Config } from '../config';
import { isFailureOfType } from '../shared/failures';
import { makeTaskIdempotencyKey } from '../shared/ids';
import { TaskFailure } from '../shared/turn';
import {
  MissionControlError,
  type AgentIdentity,
  type MissionControlClient,
} from '../clients/mission-control';
import { callOptions } from './context';

export interface ResolveTaskInput extends AgentIdentity {
  taskId?: string;
  taskTitle?: string;
  taskDescription?: string;
  taskMetadata?: Record<string, unknown>;
}

export function createTaskActivities({ config, mc }: { config: Config; mc: MissionControlClient }) {
  return {
    /** task_id, looked up first; else find-or-create by title (or CLASPER_DEFAULT_TASK), created at most once. */
    async resolveTask(input: ResolveTaskInput): Promise<{ taskId: string; created: boolean }> {
      if (input.taskId) {
        await checkTaskExists(mc, { userId: input.userId, role: input.role }, input.taskId);
        return { taskId: input.taskId, created: false };
      }
      const title = input.taskTitle ?? config.agent.defaultTask;
      if (!title) {
        throw ApplicationFailure.nonRetryable(
          'no task to reply on: pass task_id or task_title, or set CLASPER_DEFAULT_TASK',
          TaskFailure.NotResolvable,
        );
      }
      const identity = { userId: input.userId, role: input.role };
      const opts = callOptions();
      const existing = await mc.findTaskByTitle(identity, title, opts);
      if (existing) return { taskId: String(existing.id), created: false };
      try {
        const task = await mc.createTask(
          identity,
          {
            title,
            description: input.taskDescription ?? `Agent thread: ${title}`,
            status: 'in_progress',
            metadata: input.taskMetadata ?? { type: 'agent_thread' },
          },
          makeTaskIdempotencyKey(input.userId, title),
          opts,
        );
        return { taskId: String(task.id), created: true };
      } catch (err) {
        // A concurrent turn created it with another description: same key, other body → 409. Use theirs.
        if (isFailureOfType(err, MissionControlError.Conflict)) {
          const raced = await mc.findTaskByTitle(identity, title, opts);
          if (raced) return { taskId: String(raced.id), created: false };
        }
        throw err;
      }
    },
  };
}

/**
 * The contract has no single-task read, so the user's task list is walked. A list too long to
 * walk (TooManyPages) means the backend cannot tell: the id is used as given, and a wrong one
 * fails where it is first written to, as before.
 */
async function checkTaskExists(
  mc: MissionControlClient,
  identity: AgentIdentity,
  taskId: string,
): Promise<void> {
  try {
    if (await mc.findTaskById(identity, taskId, callOptions())) return;
  } catch (err) {
    if (isFailureOfType(err, MissionControlError.TooManyPages)) return;
    throw err;
  }
  throw ApplicationFailure.nonRetryable(
    `task '${taskId}' does not exist for user '${identity.userId}' in the backend: pass the id of one of its tasks, or task_title to find or create one`,
    TaskFailure.NotFound,
  );
}
