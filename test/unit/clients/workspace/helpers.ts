/** Real temporary workspaces for the workspace tests (no fs mocks). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createWorkspace, type WorkspaceOptions } from '../../../../src/clients/workspace';

const created: string[] = [];

/** Creates a temp dir holding `files` (relative path → content) and returns its path. */
export function tempDir(files: Record<string, string> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clasper-ws-'));
  created.push(dir);
  for (const [rel, content] of Object.entries(files)) writeFile(dir, rel, content);
  return dir;
}

export function writeFile(root: string, rel: string, content: string): void {
  const file = path.join(root, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
}

/** Rewrites a file and moves its mtime forward, as an editor saving a minute later would. */
export function editFile(root: string, rel: string, content: string): void {
  const file = path.join(root, rel);
  const before = fs.statSync(file).mtime;
  fs.writeFileSync(file, content);
  const later = new Date(before.getTime() + 60_000);
  fs.utimesSync(file, later, later);
}

export function removeTempDirs(): void {
  for (const dir of created.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** A workspace with quiet defaults: UTC, no time block, empty env. */
export function workspaceAt(root: string, overrides: Partial<WorkspaceOptions> = {}) {
  return createWorkspace({
    root,
    env: {},
    platform: 'linux',
    defaultTimezone: 'UTC',
    includeTimeContext: false,
    ...overrides,
  });
}
