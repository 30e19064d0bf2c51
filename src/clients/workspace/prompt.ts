/**
 * System prompt assembly (docs/architecture.md, "Workspace"). Order, blank-line separated, each
 * part trimmed: persona → Operating Rules → Identity → Tools → User → Skills → Memory (or a fallback
 * persona when the workspace gave nothing), then Conversation Context and Current Time. A
 * `system_prompt` override replaces everything before Conversation Context.
 */
import { createHash } from 'node:crypto';
import type { WorkspaceSummary } from '../../shared/types';
import { truncateForPrompt, type WorkspaceFiles } from './files';
import { memoryBlock, type MemoryDates } from './memory';
import type { LoadedSkill } from './skills';
import { timeBlock } from './time-context';

/** The summary plus what the caller may want to log; assignable to WorkspaceSummary. */
export interface WorkspacePrompt extends WorkspaceSummary {
  /** The IANA zone the time block and memory dates used. */
  timezone: string;
}

export interface PromptRequest {
  role?: string;
  timezone: string;
  now: Date;
  memoryDates: MemoryDates;
  includeTimeContext: boolean;
  systemPromptOverride?: string;
  systemMessages?: string[];
}

interface UsedFile {
  name: string;
  raw: string;
  truncated: boolean;
}

/** Reads files for one prompt, applying the per-file limit and remembering what was used. */
export class FileTaker {
  readonly used: UsedFile[] = [];
  constructor(
    private readonly files: WorkspaceFiles,
    private readonly maxCharsPerFile: number,
  ) {}

  /** Trimmed, limited text; null when the file is absent or blank (a blank file adds no section). */
  async take(name: string): Promise<string | null> {
    const raw = await this.files.read(name);
    if (raw === null || raw.trim() === '') return null;
    return this.use(name, raw);
  }

  /** Records `raw` as used and returns `body` (default: all of it) limited and trimmed. */
  use(name: string, raw: string, body = raw): string {
    const { text, truncated } = truncateForPrompt(name, body, this.maxCharsPerFile);
    this.used.push({ name, raw, truncated });
    return text.trim();
  }
}

/** Root-relative persona file for a (validated) role: its soul if present and non-blank, else SOUL.md. */
export async function personaFile(files: WorkspaceFiles, role: string | undefined): Promise<string> {
  if (role !== undefined) {
    const soul = `souls/${role}.md`;
    const content = await files.read(soul);
    if (content !== null && content.trim() !== '') return soul;
  }
  return 'SOUL.md';
}

export function fallbackPersona(role: string | undefined): string {
  return role
    ? `You are a helpful AI assistant working as the "${role}" agent.`
    : 'You are a helpful AI assistant.';
}

export function skillsBlock(skills: LoadedSkill[], take: FileTaker): string | null {
  const blocks = skills
    .filter((s) => s.enabled)
    .map((s) => {
      const instructions = take.use(s.file, s.raw, s.instructions);
      const heading = `### ${s.emoji ? `${s.emoji} ` : ''}${s.name}`;
      return [heading, s.description, instructions].filter(Boolean).join('\n\n');
    });
  return blocks.length > 0 ? `## Skills\n\n${blocks.join('\n\n')}` : null;
}

export async function assemblePrompt(
  files: WorkspaceFiles,
  loadSkills: () => Promise<LoadedSkill[]>,
  maxCharsPerFile: number,
  req: PromptRequest,
): Promise<WorkspacePrompt> {
  const take = new FileTaker(files, maxCharsPerFile);
  const parts: string[] = [];
  const override = req.systemPromptOverride?.trim();

  if (override) {
    parts.push(override);
  } else {
    const section = async (heading: string, file: string) => {
      const text = await take.take(file);
      return text ? `${heading}\n\n${text}` : null;
    };
    const persona = await take.take(await personaFile(files, req.role));
    const instructions = [
      persona,
      await section('## Operating Rules', 'AGENTS.md'),
      await section('## Identity', 'IDENTITY.md'),
      await section('## Tools', 'TOOLS.md'),
      await section('## User', 'USER.md'),
      skillsBlock(await loadSkills(), take),
    ].filter((p): p is string => p !== null);
    // Without any workspace text the model would have no persona at all; memory alone is not one.
    if (instructions.length === 0) instructions.push(fallbackPersona(req.role));
    parts.push(...instructions);
    const memory = await memoryBlock((f) => take.take(f), req.memoryDates);
    if (memory) parts.push(memory);
  }

  const conversation = (req.systemMessages ?? []).map((m) => m.trim()).filter(Boolean);
  if (conversation.length > 0) parts.push(`## Conversation Context\n\n${conversation.join('\n\n')}`);
  if (req.includeTimeContext) parts.push(timeBlock(req.now, req.timezone));

  const systemPrompt = parts.map((p) => p.trim()).join('\n\n');
  return {
    systemPrompt,
    hash: hashInputs(take.used, override),
    chars: systemPrompt.length,
    estimatedTokens: estimateTokens(systemPrompt),
    files: take.used.map((f) => ({ name: f.name, chars: f.raw.length, truncated: f.truncated })),
    timezone: req.timezone,
  };
}

/** ~4 characters per token: the usual rough estimate for English with GPT tokenizers. */
export function estimateTokens(text: string | number): number {
  return Math.ceil((typeof text === 'number' ? text : text.length) / 4);
}

/**
 * sha256 over each used file's name and full content (and the override text, which replaces
 * them), length-prefixed so different splits of the same bytes never collide.
 */
function hashInputs(used: UsedFile[], override: string | undefined): string {
  const h = createHash('sha256');
  const add = (s: string) => h.update(`${Buffer.byteLength(s)}:`).update(s);
  for (const f of used) {
    add(f.name);
    add(f.raw);
  }
  if (override) {
    add('(metadata.system_prompt)');
    add(override);
  }
  return h.digest('hex');
}
