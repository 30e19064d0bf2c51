/**
 * `clasper workspace check`: every workspace file readable and parsed, sizes against the per-file
 * cut, roles found, skills and why any is gated off. Exit 1 when there are errors (warnings pass).
 */
import path from 'node:path';
import type { Config } from '../config';
import { createWorkspace, type WorkspaceCheck } from '../clients/workspace';
import { errorMessage, fail, printJson, table, type Out, type Printer } from './output';

export interface WorkspaceCheckOptions {
  /** Workspace folder; default CLASPER_WORKSPACE. */
  dir?: string;
  json?: boolean;
}

export interface WorkspaceDeps {
  config: Config;
  out: Out;
  /** For skill gating (`requires.env`, PATH for `requires.bins`): the environment of this machine. */
  env: Record<string, string | undefined>;
}

export async function runWorkspaceCheck(opts: WorkspaceCheckOptions, deps: WorkspaceDeps): Promise<number> {
  const p: Printer = { out: deps.out, json: opts.json === true };
  let check: WorkspaceCheck;
  try {
    const workspace = createWorkspace({
      root: path.resolve(opts.dir ?? deps.config.agent.workspace),
      env: deps.env,
      defaultTimezone: deps.config.agent.defaultTimezone,
      includeTimeContext: deps.config.agent.includeTimeContext,
    });
    check = await workspace.checkWorkspace();
  } catch (err) {
    return fail(p, errorMessage(err));
  }
  if (p.json) printJson(p.out, check);
  else p.out.stdout(describeCheck(check));
  return check.ok ? 0 : 1;
}

export function describeCheck(check: WorkspaceCheck): string {
  let text = `workspace ${check.root}\n`;
  if (check.files.length > 0) {
    text += '\nfiles\n';
    text += table(
      check.files.map((f) => [
        f.status,
        f.name,
        f.chars === undefined ? '' : `${f.chars} chars${f.truncated ? ' (cut in the prompt)' : ''}`,
      ]),
      '  ',
    );
  }
  text += `\nroles  ${check.roles.length > 0 ? check.roles.join(', ') : '(none: every role gets SOUL.md)'}\n`;
  if (check.skills.length > 0) {
    text += '\nskills\n';
    text += table(
      check.skills.map((s) => [
        s.enabled ? 'enabled' : 'off',
        s.name,
        s.enabled ? s.description : (s.gateReason ?? 'disabled'),
      ]),
      '  ',
    );
  }
  if (check.warnings.length > 0) text += `\nwarnings\n${check.warnings.map((w) => `  - ${w}\n`).join('')}`;
  if (check.errors.length > 0) text += `\nerrors\n${check.errors.map((e) => `  - ${e}\n`).join('')}`;
  text += check.ok
    ? `\nworkspace OK${check.warnings.length > 0 ? ` (${check.warnings.length} warning${check.warnings.length === 1 ? '' : 's'})` : ''}\n`
    : `\nworkspace has ${check.errors.length} error${check.errors.length === 1 ? '' : 's'}\n`;
  return text;
}
