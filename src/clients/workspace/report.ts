/**
 * Read-only views of the workspace: per-file prompt sizes for GET /context, and the full check
 * behind `clasper workspace check` (every file readable, frontmatter valid, sizes, roles, gating).
 */
import { ROLE_PATTERN } from '../../config';
import { truncateForPrompt, type FileLookup, type WorkspaceFiles } from './files';
import { estimateTokens, personaFile } from './prompt';
import { toSkillInfo, type LoadedSkill, type SkillInfo } from './skills';

export interface ContextFileStat {
  name: string;
  exists: boolean;
  rawChars: number;
  injectedChars: number;
  truncated: boolean;
  estimatedTokens: number;
}

export interface ContextReport {
  workspacePath: string;
  maxCharsPerFile: number;
  files: ContextFileStat[];
  /** Sum of injectedChars over `files`. */
  totalBootstrapChars: number;
  /** The whole system prompt a turn for this role would get now (skills, memory, time included). */
  systemPromptChars: number;
  estimatedSystemPromptTokens: number;
}

interface ReportDeps {
  files: WorkspaceFiles;
  maxCharsPerFile: number;
  loadSkills: () => Promise<LoadedSkill[]>;
  /** Builds the default prompt for a role (already validated). */
  promptChars: (role: string | undefined) => Promise<number>;
}

/** Role must be validated by the caller. Names the persona file actually used (the original mislabelled it). */
export async function contextReport(deps: ReportDeps, role: string | undefined): Promise<ContextReport> {
  const names = [
    'AGENTS.md',
    await personaFile(deps.files, role),
    'IDENTITY.md',
    'TOOLS.md',
    'USER.md',
    'HEARTBEAT.md',
    'MEMORY.md',
  ];
  const stats: ContextFileStat[] = [];
  for (const name of names) {
    const raw = await deps.files.read(name);
    const cut = raw === null ? null : truncateForPrompt(name, raw, deps.maxCharsPerFile);
    const injectedChars = cut ? cut.text.trim().length : 0;
    stats.push({
      name,
      exists: raw !== null,
      rawChars: raw?.length ?? 0,
      injectedChars,
      truncated: cut?.truncated ?? false,
      estimatedTokens: estimateTokens(injectedChars),
    });
  }
  const systemPromptChars = await deps.promptChars(role);
  return {
    workspacePath: deps.files.root,
    maxCharsPerFile: deps.maxCharsPerFile,
    files: stats,
    totalBootstrapChars: stats.reduce((n, f) => n + f.injectedChars, 0),
    systemPromptChars,
    estimatedSystemPromptTokens: estimateTokens(systemPromptChars),
  };
}

export interface CheckedFile {
  name: string;
  status: FileLookup['status'] | 'unreadable';
  chars?: number;
  truncated?: boolean;
}

export interface WorkspaceCheck {
  root: string;
  /** False when any error was found; warnings do not fail the check. */
  ok: boolean;
  errors: string[];
  warnings: string[];
  files: CheckedFile[];
  /** Roles that have a `souls/<role>.md`. */
  roles: string[];
  skills: SkillInfo[];
}

const TOP_LEVEL = [
  'AGENTS.md',
  'SOUL.md',
  'IDENTITY.md',
  'TOOLS.md',
  'USER.md',
  'HEARTBEAT.md',
  'BOOT.md',
  'MEMORY.md',
];
const DAILY_LOG = /^\d{4}-\d{2}-\d{2}\.md$/;

export async function checkWorkspace(
  deps: ReportDeps & { buildPrompt: (role: string | undefined) => Promise<unknown> },
): Promise<WorkspaceCheck> {
  const result: WorkspaceCheck = {
    root: deps.files.root,
    ok: false,
    errors: [],
    warnings: [],
    files: [],
    roles: [],
    skills: [],
  };
  try {
    await deps.files.realRoot();
  } catch (err) {
    result.errors.push((err as Error).message);
    return result;
  }

  const check = async (name: string) => {
    const entry = await inspect(deps, name);
    result.files.push(entry.file);
    if (entry.problem) result.errors.push(entry.problem);
    if (entry.file.truncated) {
      result.warnings.push(
        `${name} is ${entry.file.chars} characters; only the first ${deps.maxCharsPerFile} (with a truncation notice) reach the prompt. Shorten it.`,
      );
    }
  };

  for (const name of TOP_LEVEL) await check(name);
  for (const dir of ['souls', 'memory', 'skills']) {
    const found = await deps.files.lookup(dir).catch(() => null);
    if (found?.status === 'outside') {
      result.errors.push(`${dir}/ is a symlink to ${found.target}, outside the workspace; it is ignored.`);
    }
  }
  if (result.files.find((f) => f.name === 'AGENTS.md')?.status === 'missing') {
    result.warnings.push('AGENTS.md is missing: agents get no operating rules.');
  }

  for (const entry of await deps.files.listDir('souls')) {
    if (!entry.name.endsWith('.md')) continue;
    const role = entry.name.slice(0, -3);
    if (!ROLE_PATTERN.test(role)) {
      result.warnings.push(
        `souls/${entry.name} can never be used: role names are 1-64 letters, digits, '_' or '-'. Rename it.`,
      );
      continue;
    }
    await check(`souls/${entry.name}`);
    if (result.files.at(-1)?.status === 'ok') result.roles.push(role);
  }
  if (result.roles.length === 0 && result.files.find((f) => f.name === 'SOUL.md')?.status !== 'ok') {
    result.warnings.push(
      'Neither SOUL.md nor any souls/<role>.md exists: agents get a generic one-line persona.',
    );
  }

  for (const entry of await deps.files.listDir('memory')) {
    if (!entry.name.endsWith('.md')) continue;
    await check(`memory/${entry.name}`);
    if (!DAILY_LOG.test(entry.name)) {
      result.warnings.push(
        `memory/${entry.name} is never injected: only memory/YYYY-MM-DD.md for today and yesterday are.`,
      );
    }
  }

  for (const entry of await deps.files.listDir('skills')) {
    if (entry.name.startsWith('.') || !(entry.isDirectory() || entry.isSymbolicLink())) continue;
    await check(`skills/${entry.name}/SKILL.md`);
    if (result.files.at(-1)?.status === 'missing') {
      result.warnings.push(`skills/${entry.name} has no SKILL.md and is ignored.`);
    }
  }
  try {
    const skills = await deps.loadSkills();
    result.skills = skills.map(toSkillInfo);
    for (const s of skills) {
      if (s.gateReason?.startsWith('Invalid frontmatter'))
        result.errors.push(`${s.location}/SKILL.md: ${s.gateReason}`);
    }
  } catch (err) {
    result.errors.push((err as Error).message);
  }

  for (const role of [undefined, ...result.roles]) {
    try {
      await deps.buildPrompt(role);
    } catch (err) {
      result.errors.push(
        `Building the prompt for ${role ? `role '${role}'` : 'the default persona'} failed: ${(err as Error).message}`,
      );
    }
  }
  result.ok = result.errors.length === 0;
  return result;
}

async function inspect(deps: ReportDeps, name: string): Promise<{ file: CheckedFile; problem?: string }> {
  let found: FileLookup;
  try {
    found = await deps.files.lookup(name);
  } catch (err) {
    return { file: { name, status: 'unreadable' }, problem: (err as Error).message };
  }
  switch (found.status) {
    case 'ok': {
      const { truncated } = truncateForPrompt(name, found.content, deps.maxCharsPerFile);
      return { file: { name, status: 'ok', chars: found.content.length, truncated } };
    }
    case 'outside':
      return {
        file: { name, status: 'outside' },
        problem: `${name} is a symlink to ${found.target}, outside the workspace; it is ignored. Copy the file into the workspace instead.`,
      };
    case 'not-file':
      return { file: { name, status: 'not-file' }, problem: `${name} is not a regular file; it is ignored.` };
    default:
      return { file: { name, status: 'missing' } };
  }
}
