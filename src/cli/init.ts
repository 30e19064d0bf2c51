/**
 * `clasper init [dir]`: scaffold a workspace from the example shipped with Clasper (`workspace/`):
 * the top-level markdown files, the role souls and the task-management skill. Existing files are
 * kept unless `--force`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { errorMessage, fail, printJson, printLine, type Out, type Printer } from './output';

/**
 * What `init` copies from the example workspace (docs/architecture.md, "Workspace"); folders are
 * copied whole.
 */
export const TEMPLATE_ENTRIES = [
  'AGENTS.md',
  'SOUL.md',
  'IDENTITY.md',
  'TOOLS.md',
  'HEARTBEAT.md',
  'BOOT.md',
  'MEMORY.md',
  'souls',
  'skills/task-management',
];

export interface InitOptions {
  force?: boolean;
  json?: boolean;
}

export interface InitDeps {
  out: Out;
  /** The example workspace to copy; default: the `workspace/` folder shipped beside this code. */
  templateDir?: string;
}

export interface InitResult {
  dir: string;
  written: string[];
  overwritten: string[];
  skipped: string[];
}

/** Finds the `workspace/` folder of the Clasper package, from src/cli or dist/src/cli alike. */
export function findTemplateDir(start = __dirname): string {
  let dir = start;
  for (;;) {
    const candidate = path.join(dir, 'workspace');
    if (fs.existsSync(path.join(candidate, 'AGENTS.md')) && fs.existsSync(path.join(dir, 'package.json'))) {
      return candidate;
    }
    const parent = path.dirname(dir);
    if (parent === dir)
      throw new Error(`the example workspace that init copies was not found above ${start}`);
    dir = parent;
  }
}

function listFiles(root: string, rel: string): string[] {
  const abs = path.join(root, rel);
  const stat = fs.statSync(abs);
  if (stat.isFile()) return [rel];
  if (!stat.isDirectory()) return [];
  return fs
    .readdirSync(abs)
    .filter((name) => !name.startsWith('.'))
    .sort()
    .flatMap((name) => listFiles(root, path.posix.join(rel, name)));
}

export function initWorkspace(
  dir: string,
  options: { force?: boolean; templateDir?: string } = {},
): InitResult {
  const template = options.templateDir ?? findTemplateDir();
  const target = path.resolve(dir);
  const result: InitResult = { dir: target, written: [], overwritten: [], skipped: [] };
  if (path.resolve(template) === target)
    throw new Error(`${target} is the example workspace itself; pick another folder`);
  fs.mkdirSync(target, { recursive: true });

  const files = TEMPLATE_ENTRIES.filter((e) => fs.existsSync(path.join(template, e))).flatMap((e) =>
    listFiles(template, e),
  );
  for (const rel of files) {
    const dest = path.join(target, rel);
    const existing = fs.lstatSync(dest, { throwIfNoEntry: false });
    if (existing?.isDirectory())
      throw new Error(`${dest} is a folder where init would write a file; move it away first`);
    if (existing && !options.force) {
      result.skipped.push(rel);
      continue;
    }
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    // Replace rather than write through: a symlinked file must not redirect the copy elsewhere.
    if (existing) fs.rmSync(dest);
    fs.copyFileSync(path.join(template, rel), dest);
    (existing ? result.overwritten : result.written).push(rel);
  }
  // Daily logs live in memory/; an empty folder shows where they go.
  const memory = path.join(target, 'memory');
  if (!fs.existsSync(memory)) {
    fs.mkdirSync(memory);
    result.written.push('memory/');
  }
  return result;
}

export async function runInit(dir: string, opts: InitOptions, deps: InitDeps): Promise<number> {
  const p: Printer = { out: deps.out, json: opts.json === true };
  let result: InitResult;
  try {
    result = initWorkspace(dir, { force: opts.force, templateDir: deps.templateDir });
  } catch (err) {
    return fail(p, errorMessage(err));
  }
  if (p.json) {
    printJson(p.out, result);
    return 0;
  }
  for (const f of result.written) printLine(p.out, `wrote        ${f}`);
  for (const f of result.overwritten) printLine(p.out, `overwrote    ${f}`);
  for (const f of result.skipped) printLine(p.out, `kept         ${f} (exists; --force overwrites)`);
  const counts = [
    `${result.written.length} written`,
    ...(result.overwritten.length > 0 ? [`${result.overwritten.length} overwritten`] : []),
    ...(result.skipped.length > 0 ? [`${result.skipped.length} kept`] : []),
  ].join(', ');
  printLine(p.out, `\nworkspace at ${result.dir}: ${counts}`);
  printLine(p.out, `next: set CLASPER_WORKSPACE=${result.dir} and run: clasper workspace check`);
  return 0;
}
