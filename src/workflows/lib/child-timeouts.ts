/**
 * The execution timeout a workflow gives the children it starts (src/shared/timeouts.ts), from
 * the settings its own input carried; defaults when a run started before they travelled. Runs
 * begun before the patch started their children without one, and replay that way.
 */
import { patched } from '@temporalio/workflow';
import {
  DEFAULT_TIMEOUT_SETTINGS,
  executionTimeoutMs,
  type TimeoutSettings,
  type WorkflowTypeName,
} from '../../shared/timeouts';
import { CHILD_TIMEOUTS_PATCH } from './versions';

export function childTimeout(
  type: WorkflowTypeName,
  settings: TimeoutSettings = DEFAULT_TIMEOUT_SETTINGS,
): { workflowExecutionTimeout?: number } {
  if (!patched(CHILD_TIMEOUTS_PATCH)) return {};
  return { workflowExecutionTimeout: executionTimeoutMs(type, settings) };
}
