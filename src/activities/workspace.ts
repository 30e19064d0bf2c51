/** `loadWorkspace`: the system prompt from the workspace, with a warning when it fills the context window. */
import { ApplicationFailure } from '@temporalio/common';
import type { Config } from '../config';
import type { WorkspaceSummary } from '../shared/types';
import { contextWindowOf } from '../clients/model/pricing';
import { InvalidRoleError, InvalidTimezoneError, type Workspace } from '../clients/workspace';

export interface LoadWorkspaceInput {
  role: string;
  timezone?: string;
  systemPromptOverride?: string;
  systemMessages: string[];
  /** Characters of the conversation sent with the prompt, for the context warning. */
  conversationChars: number;
}

export function createWorkspaceActivities({ config, workspace }: { config: Config; workspace: Workspace }) {
  return {
    async loadWorkspace(input: LoadWorkspaceInput): Promise<WorkspaceSummary & { contextWarning?: string }> {
      try {
        const prompt = await workspace.buildSystemPrompt({
          role: input.role,
          timezone: input.timezone,
          systemPromptOverride: input.systemPromptOverride,
          systemMessages: input.systemMessages,
        });
        const summary: WorkspaceSummary = {
          systemPrompt: prompt.systemPrompt,
          hash: prompt.hash,
          chars: prompt.chars,
          estimatedTokens: prompt.estimatedTokens,
          files: prompt.files,
        };
        const warning = contextWarning(prompt.chars + input.conversationChars, config);
        return warning ? { ...summary, contextWarning: warning } : summary;
      } catch (err) {
        if (err instanceof InvalidRoleError || err instanceof InvalidTimezoneError) {
          throw ApplicationFailure.create({
            message: err.message,
            type: err.failureType,
            nonRetryable: true,
            cause: err,
          });
        }
        throw err;
      }
    },
  };
}

/** Advisory, as in the original: tokens ≈ chars/4 against the default model's context window. */
function contextWarning(chars: number, config: Config): string | undefined {
  const tokens = Math.ceil(chars / 4);
  const window = contextWindowOf(config.llm.model);
  const pct = (tokens / window) * 100;
  if (pct <= config.agent.contextWarningThreshold) return undefined;
  return `The prompt uses about ${pct.toFixed(1)}% of ${config.llm.model}'s ${window}-token context window; compact the conversation (POST /compact) to keep room for the answer.`;
}
