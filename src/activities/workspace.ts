/** `loadWorkspace`: the system prompt from the workspace, with a warning when it fills the context window. */
import { ApplicationFailure } from '@temporalio/common';
import type { Config } from '../config';
import type { WorkspaceSummary } from '../shared/types';
import { contextWindowOf } from '../clients/model/pricing';
import { estimatePromptTokens } from '../clients/model/tokens';
import { builtinToolSpecs } from '../clients/mission-control/tool-schemas';
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
        const warning = contextWarning(prompt.systemPrompt, input.conversationChars, config);
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

/**
 * Advisory, as in the original, against LLM_CONTEXT_WINDOW or the default model's known window: the
 * system prompt and the built-in tool schemas counted for the model (a backend's extra tools are
 * listed in parallel with this step, so they are not in it), the conversation at characters / 4.
 */
function contextWarning(systemPrompt: string, conversationChars: number, config: Config): string | undefined {
  const window = config.llm.contextWindow ?? contextWindowOf(config.llm.model);
  const limit = (window * config.agent.contextWarningThreshold) / 100;
  const tokens =
    estimatePromptTokens(config.llm.model, [{ role: 'system', content: systemPrompt }], builtinToolSpecs(), {
      limit,
    }).tokens + Math.ceil(conversationChars / 4);
  if (tokens <= limit) return undefined;
  const pct = (tokens / window) * 100;
  const name = config.llm.modelLabel ?? config.llm.model;
  return `The prompt uses about ${pct.toFixed(1)}% of ${name}'s ${window}-token context window; compact the conversation (POST /compact) to keep room for the answer.`;
}
