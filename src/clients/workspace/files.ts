/**
 * Reading workspace files safely and cheaply.
 *
 * Safety: every path is resolved against the root and, after following symlinks, must still be
 * inside the root's real path; a symlink that points elsewhere is refused (reported as `outside`,
 * never read). Cheapness: contents are cached per path with a stat signature (inode, size, mtime,
 * ctime), so each call costs one stat and an edited file is re-read on the next call — no restart
 * and no negative cache (a missing file is looked up again every time).
 */
import { promises as fsp, type Dirent } from 'node:fs';
import path from 'node:path';
import { WorkspaceError } from './errors';

export type FileLookup =
  | { status: 'ok'; content: string }
  | { status: 'missing' }
  | { status: 'not-file' }
  | { status: 'outside'; target: string };

interface CacheEntry {
  signature: string;
  content: string;
}

/** True when `child` is `parent` or below it (both absolute, normalised). */
export function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

function isNotFound(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

export class WorkspaceFiles {
  readonly root: string;
  private readonly cache = new Map<string, CacheEntry>();

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /** The root with symlinks resolved; a missing root is a configuration error worth failing loudly on. */
  async realRoot(): Promise<string> {
    try {
      const real = await fsp.realpath(this.root);
      if (!(await fsp.stat(real)).isDirectory()) {
        throw new WorkspaceError(
          `Workspace path ${this.root} is not a directory. Point CLASPER_WORKSPACE at a folder containing AGENTS.md and SOUL.md.`,
          this.root,
        );
      }
      return real;
    } catch (err) {
      if (err instanceof WorkspaceError) throw err;
      if (isNotFound(err)) {
        throw new WorkspaceError(
          `Workspace directory ${this.root} does not exist. Set CLASPER_WORKSPACE to a folder containing AGENTS.md and SOUL.md (the repository's ./workspace is a complete example).`,
          this.root,
        );
      }
      throw new WorkspaceError(
        `Cannot open workspace directory ${this.root}: ${(err as Error).message}`,
        this.root,
        {
          cause: err,
        },
      );
    }
  }

  /**
   * Resolves a root-relative path to its real location if that is inside the root. Relative paths are
   * built by this module only (roles are validated first), so a lexical escape is a bug, not input.
   */
  private async locate(rel: string): Promise<{ real: string } | { missing: true } | { outside: string }> {
    const lexical = path.resolve(this.root, rel);
    if (!isInside(this.root, lexical))
      throw new Error(`Refusing workspace path '${rel}': it leaves the root`);
    const realRoot = await this.realRoot();
    let real: string;
    try {
      real = await fsp.realpath(lexical);
    } catch (err) {
      if (isNotFound(err)) return { missing: true };
      throw this.readError(rel, err);
    }
    return isInside(realRoot, real) ? { real } : { outside: real };
  }

  /** Looks a file up, distinguishing missing / not a file / refused symlink (for checks and reports). */
  async lookup(rel: string): Promise<FileLookup> {
    const where = await this.locate(rel);
    if (!('real' in where)) {
      this.cache.delete(rel);
      return 'outside' in where ? { status: 'outside', target: where.outside } : { status: 'missing' };
    }
    try {
      const st = await fsp.stat(where.real);
      if (!st.isFile()) {
        this.cache.delete(rel);
        return { status: 'not-file' };
      }
      const signature = `${where.real}|${st.dev}|${st.ino}|${st.size}|${st.mtimeMs}|${st.ctimeMs}`;
      const hit = this.cache.get(rel);
      if (hit && hit.signature === signature) return { status: 'ok', content: hit.content };
      const content = stripBom(await fsp.readFile(where.real, 'utf8'));
      this.cache.set(rel, { signature, content });
      return { status: 'ok', content };
    } catch (err) {
      // Deleted between realpath and read: the same as never having existed.
      if (isNotFound(err)) {
        this.cache.delete(rel);
        return { status: 'missing' };
      }
      throw this.readError(rel, err);
    }
  }

  /** File content, or null when the file is absent, not a regular file, or a symlink leaving the root. */
  async read(rel: string): Promise<string | null> {
    const found = await this.lookup(rel);
    return found.status === 'ok' ? found.content : null;
  }

  /** Entries of a directory inside the root, sorted by name; [] when it is absent or leaves the root. */
  async listDir(rel: string): Promise<Dirent[]> {
    const where = await this.locate(rel);
    if (!('real' in where)) return [];
    try {
      const entries = await fsp.readdir(where.real, { withFileTypes: true });
      return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } catch (err) {
      if (isNotFound(err)) return [];
      throw this.readError(rel, err);
    }
  }

  private readError(rel: string, err: unknown): WorkspaceError {
    const file = path.join(this.root, rel);
    return new WorkspaceError(
      `Cannot read workspace file ${file}: ${(err as Error).message}. Fix its permissions or remove it.`,
      file,
      { cause: err },
    );
  }
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Cuts `content` so that content + marker is exactly `limit` characters (UTF-16 code units, what
 * `.length` counts). The marker states how much was kept so the model and the operator both know
 * the file was cut; the kept count is solved as a fixed point because it appears in the marker.
 */
export function truncateForPrompt(
  name: string,
  content: string,
  limit: number,
): { text: string; truncated: boolean } {
  if (content.length <= limit) return { text: content, truncated: false };
  const marker = (kept: number) =>
    `\n\n[… truncated: ${name} is ${content.length} characters; only the first ${kept} are included]`;
  let kept = limit;
  for (let i = 0; i < 5 && kept + marker(kept).length !== limit; i++) kept = limit - marker(kept).length;
  let tail = marker(kept);
  if (kept <= 0 || kept + tail.length !== limit) return { text: content.slice(0, limit), truncated: true };
  // Never end on half of a surrogate pair; a leading newline keeps the total exact.
  const last = content.charCodeAt(kept - 1);
  if (last >= 0xd800 && last <= 0xdbff) {
    kept -= 1;
    const shorter = marker(kept);
    tail = `\n${shorter.length + 1 + kept === limit ? shorter : tail}`;
  }
  return { text: content.slice(0, kept) + tail, truncated: true };
}
