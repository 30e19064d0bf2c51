/**
 * The workspace: a folder of markdown files that becomes the agent's system prompt
 * (docs/architecture.md, "Workspace").
 * `createWorkspace` is built once per worker from Config.agent and process.env; every method reads
 * the disk through a stat-checked cache, so edits apply on the next turn without a restart.
 */
import { assertValidRole } from './errors';
import { truncateForPrompt, WorkspaceFiles } from './files';
import { memoryDates } from './memory';
import { assemblePrompt, type WorkspacePrompt } from './prompt';
import { bootStatus, completeBoot, type BootStatus } from './boot';
import { checkWorkspace, contextReport, type ContextReport, type WorkspaceCheck } from './report';
import { SkillLoader, toSkillInfo, type SkillInfo } from './skills';
import { resolveTimezone } from './time-context';

export { InvalidRoleError, InvalidTimezoneError, WorkspaceError } from './errors';
export { truncateForPrompt } from './files';
export type { WorkspacePrompt } from './prompt';
export type { BootStatus } from './boot';
export type { ContextReport, ContextFileStat, WorkspaceCheck, CheckedFile } from './report';
export type { SkillInfo } from './skills';

export const DEFAULT_MAX_CHARS_PER_FILE = 20_000;

export interface WorkspaceOptions {
  /** Config.agent.workspace; relative paths resolve against the process's cwd. */
  root: string;
  /** For skill gating (`requires.env`, PATH for `requires.bins`); the worker passes process.env. */
  env: Record<string, string | undefined>;
  /** For skill gating (`os`); defaults to process.platform. */
  platform?: string;
  /** Config.agent.defaultTimezone; used when a request names none. */
  defaultTimezone?: string;
  /** Config.agent.includeTimeContext. */
  includeTimeContext: boolean;
  /** Clock, for tests. */
  now?: () => Date;
  maxCharsPerFile?: number;
}

export interface BuildPromptRequest {
  /** From the session key; must match ROLE_PATTERN. */
  role?: string;
  /** Request `metadata.timezone`. */
  timezone?: string;
  /** Request `metadata.system_prompt`: replaces the workspace part of the prompt. */
  systemPromptOverride?: string;
  /** System turns from the conversation (e.g. a /compact summary), kept under `## Conversation Context`. */
  systemMessages?: string[];
}

export interface Workspace {
  readonly root: string;
  readonly maxCharsPerFile: number;
  /** Throws InvalidRoleError / InvalidTimezoneError (→ 400) or WorkspaceError (missing root, unreadable file). */
  buildSystemPrompt(req?: BuildPromptRequest): Promise<WorkspacePrompt>;
  listSkills(): Promise<SkillInfo[]>;
  /** GET /context. Throws InvalidRoleError. */
  contextReport(role?: string): Promise<ContextReport>;
  /** HEARTBEAT.md limited to maxCharsPerFile and trimmed; null when absent or blank. */
  readHeartbeat(): Promise<string | null>;
  bootStatus(): Promise<BootStatus>;
  completeBoot(): Promise<{ completedAt: string }>;
  /** Everything `clasper workspace check` reports; never throws for workspace problems. */
  checkWorkspace(): Promise<WorkspaceCheck>;
}

export function createWorkspace(options: WorkspaceOptions): Workspace {
  const files = new WorkspaceFiles(options.root);
  const maxCharsPerFile = options.maxCharsPerFile ?? DEFAULT_MAX_CHARS_PER_FILE;
  if (!Number.isInteger(maxCharsPerFile) || maxCharsPerFile < 1) {
    throw new Error(`maxCharsPerFile must be a positive whole number, got ${maxCharsPerFile}`);
  }
  const now = options.now ?? (() => new Date());
  // Fail at start-up, not on the first turn, if the configured default zone is unknown.
  const defaultTimezone = resolveTimezone(undefined, options.defaultTimezone);
  const skills = new SkillLoader(files, { env: options.env, platform: options.platform ?? process.platform });
  const loadSkills = () => skills.load();

  const buildSystemPrompt = async (req: BuildPromptRequest = {}): Promise<WorkspacePrompt> => {
    assertValidRole(req.role);
    const timezone = resolveTimezone(req.timezone, defaultTimezone);
    await files.realRoot();
    const at = now();
    return assemblePrompt(files, loadSkills, maxCharsPerFile, {
      role: req.role,
      timezone,
      now: at,
      memoryDates: memoryDates(at, timezone),
      includeTimeContext: options.includeTimeContext,
      systemPromptOverride: req.systemPromptOverride,
      systemMessages: req.systemMessages,
    });
  };

  const reportDeps = {
    files,
    maxCharsPerFile,
    loadSkills,
    promptChars: async (role: string | undefined) => (await buildSystemPrompt({ role })).chars,
    buildPrompt: (role: string | undefined) => buildSystemPrompt({ role }),
  };

  return {
    root: files.root,
    maxCharsPerFile,
    buildSystemPrompt,
    listSkills: async () => (await loadSkills()).map(toSkillInfo),
    contextReport: async (role?: string) => {
      assertValidRole(role);
      await files.realRoot();
      return contextReport(reportDeps, role);
    },
    readHeartbeat: async () => {
      const raw = await files.read('HEARTBEAT.md');
      if (raw === null || raw.trim() === '') return null;
      return truncateForPrompt('HEARTBEAT.md', raw, maxCharsPerFile).text.trim();
    },
    bootStatus: () => bootStatus(files),
    completeBoot: () => completeBoot(files, now()),
    checkWorkspace: () => checkWorkspace(reportDeps),
  };
}
