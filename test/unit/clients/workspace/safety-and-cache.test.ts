import fs from 'node:fs';
import path from 'node:path';
import { InvalidRoleError, WorkspaceError } from '../../../../src/clients/workspace';
import { editFile, removeTempDirs, tempDir, workspaceAt, writeFile } from './helpers';

afterEach(removeTempDirs);

describe('role validation', () => {
  const bad = ['../x', 'a/b', '', 'x'.repeat(65), 'lead.md', 'a b', '..', 'lead\n', 'rôle'];

  it.each(bad)('rejects role %j with InvalidRoleError before touching the disk', async (role) => {
    // The root does not exist: a file access would raise WorkspaceError instead.
    const ws = workspaceAt(path.join(tempDir(), 'missing'));
    await expect(ws.buildSystemPrompt({ role })).rejects.toBeInstanceOf(InvalidRoleError);
    await expect(ws.contextReport(role)).rejects.toBeInstanceOf(InvalidRoleError);
  });

  it('accepts the whole role alphabet up to 64 characters', async () => {
    const role = `Ab_-9${'x'.repeat(59)}`;
    const ws = workspaceAt(tempDir({ [`souls/${role}.md`]: 'LONG_ROLE_SOUL' }));
    expect((await ws.buildSystemPrompt({ role })).systemPrompt).toBe('LONG_ROLE_SOUL');
  });

  it('reports a missing workspace root as a WorkspaceError that names the path', async () => {
    const root = path.join(tempDir(), 'nowhere');
    await expect(workspaceAt(root).buildSystemPrompt({ role: 'lead' })).rejects.toThrow(WorkspaceError);
    await expect(workspaceAt(root).buildSystemPrompt()).rejects.toThrow(root);
  });
});

describe('symlinks', () => {
  it('does not follow a symlink that leaves the workspace', async () => {
    const outside = tempDir({ 'secret.md': 'OUTSIDE_SECRET' });
    const root = tempDir({ 'SOUL.md': 'DEFAULT_PERSONA' });
    fs.mkdirSync(path.join(root, 'souls'));
    fs.symlinkSync(path.join(outside, 'secret.md'), path.join(root, 'souls', 'evil.md'));
    fs.symlinkSync(path.join(outside, 'secret.md'), path.join(root, 'AGENTS.md'));
    fs.symlinkSync(outside, path.join(root, 'memory'));
    const ws = workspaceAt(root);

    const result = await ws.buildSystemPrompt({ role: 'evil' });
    expect(result.systemPrompt).toBe('DEFAULT_PERSONA');
    expect(result.files.map((f) => f.name)).toEqual(['SOUL.md']);

    const check = await ws.checkWorkspace();
    expect(check.ok).toBe(false);
    expect(check.errors.join('\n')).toMatch(/AGENTS\.md is a symlink to .* outside the workspace/);
    expect(check.errors.join('\n')).toMatch(/memory\/ is a symlink to .* outside the workspace/);
    expect(check.roles).not.toContain('evil');
  });

  it('does not load a skill whose folder links outside the workspace', async () => {
    const outside = tempDir({ 'SKILL.md': '---\nname: smuggled\n---\nSMUGGLED' });
    const root = tempDir();
    fs.mkdirSync(path.join(root, 'skills'));
    fs.symlinkSync(outside, path.join(root, 'skills', 'smuggled'));
    const ws = workspaceAt(root);
    expect(await ws.listSkills()).toEqual([]);
    expect((await ws.buildSystemPrompt()).systemPrompt).not.toContain('SMUGGLED');
  });

  it('follows symlinks that stay inside the workspace', async () => {
    const root = tempDir({ 'shared/persona.md': 'SHARED_PERSONA' });
    fs.mkdirSync(path.join(root, 'souls'));
    fs.symlinkSync(path.join('..', 'shared', 'persona.md'), path.join(root, 'souls', 'alias.md'));
    expect((await workspaceAt(root).buildSystemPrompt({ role: 'alias' })).systemPrompt).toBe(
      'SHARED_PERSONA',
    );
  });

  it('refuses to write the boot marker through a symlink', async () => {
    const outside = tempDir({ 'target.txt': 'KEEP' });
    const root = tempDir();
    fs.symlinkSync(path.join(outside, 'target.txt'), path.join(root, '.boot-complete'));
    await expect(workspaceAt(root).completeBoot()).rejects.toThrow(WorkspaceError);
    expect(fs.readFileSync(path.join(outside, 'target.txt'), 'utf8')).toBe('KEEP');
  });
});

describe('cache', () => {
  it('re-reads a file edited after the first load', async () => {
    const root = tempDir({ 'AGENTS.md': 'RULES_VERSION_1' });
    const ws = workspaceAt(root);
    expect((await ws.buildSystemPrompt()).systemPrompt).toContain('RULES_VERSION_1');
    editFile(root, 'AGENTS.md', 'RULES_VERSION_2'); // same length: only the mtime tells
    expect((await ws.buildSystemPrompt()).systemPrompt).toContain('RULES_VERSION_2');
  });

  it('sees a file created after it was looked up and missing', async () => {
    const root = tempDir({ 'SOUL.md': 'P' });
    const ws = workspaceAt(root, { now: () => new Date('2026-03-10T12:00:00Z') });
    const before = await ws.buildSystemPrompt({ role: 'lead' });
    expect(before.systemPrompt).toBe('P');
    writeFile(root, 'souls/lead.md', 'LEAD_NOW');
    writeFile(root, 'memory/2026-03-10.md', 'DAILY_NOW');
    const after = await ws.buildSystemPrompt({ role: 'lead' });
    expect(after.systemPrompt).toBe('LEAD_NOW\n\n## Memory\n\n### Today (2026-03-10)\n\nDAILY_NOW');
    expect(after.hash).not.toBe(before.hash);
  });

  it('drops a file deleted after it was cached', async () => {
    const root = tempDir({ 'SOUL.md': 'P', 'USER.md': 'USER_GONE_SOON' });
    const ws = workspaceAt(root);
    expect((await ws.buildSystemPrompt()).systemPrompt).toContain('USER_GONE_SOON');
    fs.rmSync(path.join(root, 'USER.md'));
    expect((await ws.buildSystemPrompt()).systemPrompt).toBe('P');
  });

  it('refreshes the skills list when a skill is added or edited', async () => {
    const root = tempDir({ 'skills/one/SKILL.md': '---\ndescription: first\n---\nONE' });
    const ws = workspaceAt(root);
    expect((await ws.listSkills()).map((s) => s.name)).toEqual(['one']);
    writeFile(root, 'skills/two/SKILL.md', 'TWO');
    editFile(root, 'skills/one/SKILL.md', '---\ndescription: changed\n---\nONE');
    const skills = await ws.listSkills();
    expect(skills.map((s) => [s.name, s.description])).toEqual([
      ['one', 'changed'],
      ['two', ''],
    ]);
  });
});
