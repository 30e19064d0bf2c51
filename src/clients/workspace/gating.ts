/**
 * Skill gating: decides whether a skill is offered to the model on this worker. Unlike the
 * original, `requires.bins` / `anyBins` are really checked (on the PATH of the env passed in, so a
 * worker's environment decides, and tests can pass their own PATH).
 */
import { constants, promises as fsp } from 'node:fs';
import path from 'node:path';
import type { SkillGate } from './frontmatter';

export interface GateContext {
  env: Record<string, string | undefined>;
  platform: string;
}

/** Undefined when the skill is enabled, else the reason shown by GET /skills and `workspace check`. */
export async function gateReason(gate: SkillGate, ctx: GateContext): Promise<string | undefined> {
  if (gate.always === true) return undefined;
  if (gate.os && gate.os.length > 0 && !gate.os.includes(ctx.platform))
    return `OS not supported: ${ctx.platform}`;
  const missingEnv = gate.env.filter((name) => !ctx.env[name]?.trim());
  if (missingEnv.length > 0) return `Missing env: ${missingEnv.join(', ')}`;
  const missingBins: string[] = [];
  for (const bin of gate.bins) if (!(await findOnPath(bin, ctx))) missingBins.push(bin);
  if (missingBins.length > 0) return `Missing binary: ${missingBins.join(', ')}`;
  if (gate.anyBins.length > 0) {
    for (const bin of gate.anyBins) if (await findOnPath(bin, ctx)) return undefined;
    return `Missing binary (need one of): ${gate.anyBins.join(', ')}`;
  }
  return undefined;
}

/** The executable's full path, or null. Absolute names are checked as given. */
export async function findOnPath(bin: string, ctx: GateContext): Promise<string | null> {
  if (!bin) return null;
  const win = ctx.platform === 'win32';
  const exts = win ? ['', ...(ctx.env.PATHEXT ?? '.EXE;.CMD;.BAT;.COM').split(';').filter(Boolean)] : [''];
  if (path.isAbsolute(bin)) return (await isExecutable(bin, win)) ? bin : null;
  // A name with a separator is not a command name; refusing it keeps lookups on PATH only.
  if (bin.includes('/') || bin.includes('\\')) return null;
  const pathVar = ctx.env.PATH ?? (win ? ctx.env.Path : undefined) ?? '';
  for (const dir of pathVar.split(win ? ';' : ':')) {
    if (!dir) continue;
    for (const ext of exts) {
      const candidate = path.join(dir, bin + ext);
      if (await isExecutable(candidate, win)) return candidate;
    }
  }
  return null;
}

async function isExecutable(file: string, win: boolean): Promise<boolean> {
  try {
    const st = await fsp.stat(file);
    if (!st.isFile()) return false;
    if (win) return true; // Windows has no execute bit; PATHEXT decides.
    await fsp.access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
