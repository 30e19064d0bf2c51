/**
 * SKILL.md parsing: an optional YAML frontmatter block between `---` lines, then the instructions.
 * Real YAML (the original's line-by-line parser broke on multi-line values); `metadata` may be a
 * YAML mapping or a JSON string, in the OpenClaw shape (`metadata.openclaw.{…}`) or with the same
 * keys directly under `metadata`.
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/** What gating needs from `metadata`; other keys (homepage, primaryEnv, requires.config) are ignored. */
export interface SkillGate {
  always?: boolean;
  emoji?: string;
  os?: string[];
  env: string[];
  bins: string[];
  anyBins: string[];
}

export type ParsedSkill =
  | { ok: true; name?: string; description: string; gate: SkillGate; instructions: string }
  | { ok: false; error: string };

const stringList = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (typeof v === 'string' ? [v] : v));

const gateSchema = z
  .object({
    always: z.boolean().optional(),
    emoji: z.string().optional(),
    os: stringList.optional(),
    requires: z
      .object({ env: stringList.optional(), bins: stringList.optional(), anyBins: stringList.optional() })
      .loose()
      .optional(),
  })
  .loose();

const frontmatterSchema = z
  .object({
    name: z.string().trim().min(1, { error: 'must not be empty' }).optional(),
    description: z.string().optional(),
    metadata: z.unknown().optional(),
  })
  .loose();

// `---` line, YAML (possibly empty), closing `---` line; the closing line may end the file.
const FRONTMATTER = /^---[ \t]*\r?\n(?:([\s\S]*?)\r?\n)?---[ \t]*(?:\r?\n|$)/;

export function parseSkillFile(content: string): ParsedSkill {
  if (!/^---[ \t]*\r?\n/.test(content)) {
    return { ok: true, description: '', gate: emptyGate(), instructions: content.trim() };
  }
  const match = FRONTMATTER.exec(content);
  if (!match) return { ok: false, error: 'the file starts with --- but has no closing --- line' };

  let data: unknown;
  try {
    data = parseYaml(match[1] ?? '');
  } catch (err) {
    const first = (err as Error).message.split('\n')[0] ?? 'unparseable YAML';
    return { ok: false, error: `${first} (quote values that contain ': ' or start with special characters)` };
  }
  if (data === null || data === undefined) data = {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    return { ok: false, error: 'frontmatter must be YAML key: value pairs (name, description, metadata)' };
  }

  const fields = frontmatterSchema.safeParse(data);
  if (!fields.success) return { ok: false, error: describeIssues(fields.error) };

  const gate = parseGate(fields.data.metadata);
  if (typeof gate === 'string') return { ok: false, error: gate };

  return {
    ok: true,
    name: fields.data.name?.replace(/\s+/g, ' '),
    description: (fields.data.description ?? '').trim(),
    gate,
    instructions: content.slice(match[0].length).trim(),
  };
}

/** Returns the gate, or an error sentence. */
function parseGate(metadata: unknown): SkillGate | string {
  if (metadata === undefined || metadata === null) return emptyGate();
  let value = metadata;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return 'metadata is a string but not valid JSON; write it as a YAML mapping or a JSON object';
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'metadata must be an object (for example {"openclaw": {"always": true}})';
  }
  const record = value as Record<string, unknown>;
  // OpenClaw nests its keys under `openclaw`; keys written directly under metadata work too.
  const nested = record.openclaw;
  const merged = typeof nested === 'object' && nested !== null ? { ...record, ...nested } : record;
  const parsed = gateSchema.safeParse(merged);
  if (!parsed.success) return `metadata ${describeIssues(parsed.error)}`;
  const g = parsed.data;
  return {
    always: g.always,
    emoji: g.emoji?.trim() || undefined,
    os: g.os,
    env: g.requires?.env ?? [],
    bins: g.requires?.bins ?? [],
    anyBins: g.requires?.anyBins ?? [],
  };
}

function emptyGate(): SkillGate {
  return { env: [], bins: [], anyBins: [] };
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`).join('; ');
}
