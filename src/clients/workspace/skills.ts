/**
 * Skill discovery: every immediate sub-directory of `skills/` holding a SKILL.md. Listing is done
 * on every call (one readdir plus one stat per skill through the file cache), so adding, editing or
 * removing a skill shows up on the next turn; parsing is memoised on the file's content.
 */
import type { WorkspaceFiles } from './files';
import { parseSkillFile, type ParsedSkill } from './frontmatter';
import { gateReason, type GateContext } from './gating';

/** One skill as GET /skills and `clasper workspace check` show it. */
export interface SkillInfo {
  name: string;
  description: string;
  enabled: boolean;
  gateReason?: string;
  /** Skill directory relative to the workspace root, e.g. `skills/task-management`. */
  location: string;
  emoji?: string;
}

/** A skill with what the prompt needs. */
export interface LoadedSkill extends SkillInfo {
  /** Root-relative SKILL.md path, e.g. `skills/task-management/SKILL.md`. */
  file: string;
  /** The whole SKILL.md as read (for the workspace hash). */
  raw: string;
  instructions: string;
}

export class SkillLoader {
  // Keyed by file; the parse is reused while the content is unchanged.
  private readonly parsed = new Map<string, { raw: string; result: ParsedSkill }>();

  constructor(
    private readonly files: WorkspaceFiles,
    private readonly gate: GateContext,
  ) {}

  async load(): Promise<LoadedSkill[]> {
    const skills: LoadedSkill[] = [];
    const seen = new Set<string>();
    for (const entry of await this.files.listDir('skills')) {
      // Hidden folders (.git, .DS_Store dirs) are not skills; symlinked folders are allowed and
      // WorkspaceFiles refuses them if they lead outside the root.
      if (entry.name.startsWith('.') || !(entry.isDirectory() || entry.isSymbolicLink())) continue;
      const location = `skills/${entry.name}`;
      const file = `${location}/SKILL.md`;
      const raw = await this.files.read(file);
      if (raw === null) continue;
      seen.add(file);
      skills.push(await this.toSkill(entry.name, location, file, raw));
    }
    for (const key of this.parsed.keys()) if (!seen.has(key)) this.parsed.delete(key);
    return skills;
  }

  private async toSkill(dir: string, location: string, file: string, raw: string): Promise<LoadedSkill> {
    const result = this.parse(file, raw);
    if (!result.ok) {
      return {
        name: dir,
        description: '',
        enabled: false,
        gateReason: `Invalid frontmatter: ${result.error}`,
        location,
        file,
        raw,
        instructions: '',
      };
    }
    const reason = await gateReason(result.gate, this.gate);
    return {
      name: result.name ?? dir,
      description: result.description,
      enabled: reason === undefined,
      ...(reason === undefined ? {} : { gateReason: reason }),
      location,
      ...(result.gate.emoji ? { emoji: result.gate.emoji } : {}),
      file,
      raw,
      instructions: result.instructions,
    };
  }

  private parse(file: string, raw: string): ParsedSkill {
    const hit = this.parsed.get(file);
    if (hit && hit.raw === raw) return hit.result;
    const result = parseSkillFile(raw);
    this.parsed.set(file, { raw, result });
    return result;
  }
}

/** The public view of a skill (drops the prompt-only fields). */
export function toSkillInfo(skill: LoadedSkill): SkillInfo {
  const { name, description, enabled, gateReason: reason, location, emoji } = skill;
  return {
    name,
    description,
    enabled,
    ...(reason === undefined ? {} : { gateReason: reason }),
    location,
    ...(emoji ? { emoji } : {}),
  };
}
