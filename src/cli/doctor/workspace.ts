/** Doctor: the workspace checks out (every file parses, roles found), as `clasper workspace check` says. */
import path from 'node:path';
import type { Config } from '../../config';
import { createWorkspace } from '../../clients/workspace';
import { errorMessage } from '../output';
import type { DoctorCheck } from './check';

export async function checkWorkspace(
  config: Config,
  env: Record<string, string | undefined>,
): Promise<DoctorCheck> {
  try {
    const check = await createWorkspace({
      root: path.resolve(config.agent.workspace),
      env,
      defaultTimezone: config.agent.defaultTimezone,
      includeTimeContext: config.agent.includeTimeContext,
    }).checkWorkspace();
    if (!check.ok) {
      return {
        name: 'workspace',
        status: 'fail',
        reason: `${check.root}: ${check.errors.length} error${check.errors.length === 1 ? '' : 's'} (clasper workspace check shows all)`,
        details: check.errors.slice(0, 5),
      };
    }
    const enabled = check.skills.filter((s) => s.enabled).length;
    return {
      name: 'workspace',
      status: 'ok',
      reason: `${check.root}: roles ${check.roles.join(', ') || '(none)'}; ${enabled} of ${check.skills.length} skills enabled here`,
    };
  } catch (err) {
    return { name: 'workspace', status: 'fail', reason: errorMessage(err) };
  }
}
