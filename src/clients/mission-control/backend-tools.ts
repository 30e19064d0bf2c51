/**
 * Turns the backend's `GET /api/tools` answer into OpenAI function-tool specs. Entries the model
 * API would reject (bad names) are dropped here, so one odd backend tool cannot fail every turn.
 */
import type { ToolSpec } from '../../shared/types';
import type { BackendTool } from './schemas';

/** OpenAI's rule for function names. */
export const TOOL_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

const EMPTY_PARAMETERS = { type: 'object', properties: {} };

export function toToolSpecs(entries: BackendTool[]): ToolSpec[] {
  const specs: ToolSpec[] = [];
  const seen = new Set<string>();
  for (const tool of entries) {
    if (!TOOL_NAME_PATTERN.test(tool.name) || seen.has(tool.name)) continue;
    seen.add(tool.name);
    specs.push({
      type: 'function',
      function: {
        name: tool.name,
        description: tool.description ?? `Backend tool ${tool.name}`,
        parameters: tool.parameters ?? tool.input_schema ?? EMPTY_PARAMETERS,
      },
    });
  }
  return specs;
}
