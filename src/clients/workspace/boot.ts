/**
 * BOOT.md is one-time setup the caller shows to an operator or agent (GET /boot); it never enters
 * prompts. Completion is a `.boot-complete` marker holding an ISO timestamp (POST /boot/complete).
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { WorkspaceError } from './errors';
import type { WorkspaceFiles } from './files';

export const BOOT_FILE = 'BOOT.md';
export const BOOT_MARKER = '.boot-complete';

export interface BootStatus {
  hasBoot: boolean;
  isComplete: boolean;
  /** BOOT.md, or null once boot is complete (as in the original API) or when there is none. */
  content: string | null;
  /** The marker's timestamp when complete. */
  completedAt?: string;
}

export async function bootStatus(files: WorkspaceFiles): Promise<BootStatus> {
  const content = await files.read(BOOT_FILE);
  const marker = await files.read(BOOT_MARKER);
  const isComplete = marker !== null;
  return {
    hasBoot: content !== null,
    isComplete,
    content: isComplete ? null : content,
    ...(isComplete && marker.trim() ? { completedAt: marker.trim() } : {}),
  };
}

/** Writes the marker. Unlike the original, a failed write is an error: the caller must not report success. */
export async function completeBoot(files: WorkspaceFiles, now: Date): Promise<{ completedAt: string }> {
  const root = await files.realRoot();
  const target = path.join(root, BOOT_MARKER);
  const existing = await fsp.lstat(target).catch(() => null);
  // Writing through a symlink could overwrite a file outside the workspace.
  if (existing?.isSymbolicLink()) {
    throw new WorkspaceError(`Refusing to write ${target}: it is a symlink. Delete it and retry.`, target);
  }
  const completedAt = now.toISOString();
  try {
    await fsp.writeFile(target, `${completedAt}\n`, 'utf8');
  } catch (err) {
    throw new WorkspaceError(
      `Cannot write ${target}: ${(err as Error).message}. Make the workspace directory writable by the worker.`,
      target,
      { cause: err },
    );
  }
  return { completedAt };
}
