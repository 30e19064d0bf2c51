import fs from 'node:fs';
import path from 'node:path';
import { createWorkspace } from '../../../../src/clients/workspace';
import { removeTempDirs, tempDir, workspaceAt } from './helpers';

afterEach(removeTempDirs);

const EXAMPLE = path.resolve(__dirname, '../../../../workspace');

describe('the example workspace', () => {
  const ws = createWorkspace({ root: EXAMPLE, env: {}, defaultTimezone: 'UTC', includeTimeContext: true });

  it.each(['lead', 'researcher', 'writer'])('builds a full prompt for role %s', async (role) => {
    const soul = fs.readFileSync(path.join(EXAMPLE, 'souls', `${role}.md`), 'utf8').trim();
    const result = await ws.buildSystemPrompt({ role });
    expect(result.systemPrompt.startsWith(soul)).toBe(true);
    for (const heading of [
      '## Operating Rules',
      '## Identity',
      '## Tools',
      '## Skills',
      '### 🗂️ task-management',
      '## Memory',
      '## Current Time',
    ]) {
      expect(result.systemPrompt).toContain(heading);
    }
    for (const tool of ['list_tasks', 'create_task', 'post_message', 'create_document']) {
      expect(result.systemPrompt).toContain(tool);
    }
    expect(result.files.every((f) => !f.truncated)).toBe(true);
  });

  it('lists task-management as enabled and gates web-research on SEARCH_API_KEY', async () => {
    const skills = await ws.listSkills();
    expect(skills.find((s) => s.name === 'task-management')).toMatchObject({ enabled: true, emoji: '🗂️' });
    expect(skills.find((s) => s.name === 'web-research')).toMatchObject({
      enabled: false,
      gateReason: 'Missing env: SEARCH_API_KEY',
    });
    const withKey = createWorkspace({
      root: EXAMPLE,
      env: { SEARCH_API_KEY: 'k' },
      includeTimeContext: false,
    });
    expect((await withKey.listSkills()).every((s) => s.enabled)).toBe(true);
  });

  it('has a heartbeat checklist that asks for HEARTBEAT_OK, a BOOT.md, and passes the check', async () => {
    expect(await ws.readHeartbeat()).toContain('`HEARTBEAT_OK`');
    expect((await ws.bootStatus()).hasBoot).toBe(true);
    const check = await ws.checkWorkspace();
    expect(check.errors).toEqual([]);
    expect(check.warnings).toEqual([]);
    expect(check.ok).toBe(true);
    expect(check.roles).toEqual(['lead', 'researcher', 'writer']);
  });
});

describe('contextReport', () => {
  it('reports per-file sizes, the persona file actually used, and totals', async () => {
    const root = tempDir({
      'AGENTS.md': 'x'.repeat(25_000),
      'SOUL.md': 'Persona',
      'souls/lead.md': 'Lead persona',
      'HEARTBEAT.md': 'Check things',
    });
    const ws = workspaceAt(root);
    const lead = await ws.contextReport('lead');
    expect(lead.workspacePath).toBe(path.resolve(root));
    expect(lead.maxCharsPerFile).toBe(20_000);
    expect(lead.files.map((f) => f.name)).toEqual([
      'AGENTS.md',
      'souls/lead.md',
      'IDENTITY.md',
      'TOOLS.md',
      'USER.md',
      'HEARTBEAT.md',
      'MEMORY.md',
    ]);
    expect(lead.files[0]).toEqual({
      name: 'AGENTS.md',
      exists: true,
      rawChars: 25_000,
      injectedChars: 20_000,
      truncated: true,
      estimatedTokens: 5_000,
    });
    expect(lead.files[2]).toMatchObject({
      name: 'IDENTITY.md',
      exists: false,
      rawChars: 0,
      injectedChars: 0,
    });
    expect(lead.totalBootstrapChars).toBe(20_000 + 12 + 12);
    const prompt = await ws.buildSystemPrompt({ role: 'lead' });
    expect(lead.systemPromptChars).toBe(prompt.chars);
    expect(lead.estimatedSystemPromptTokens).toBe(Math.ceil(prompt.chars / 4));

    expect((await ws.contextReport('writer')).files[1]?.name).toBe('SOUL.md');
    expect((await ws.contextReport()).files[1]?.name).toBe('SOUL.md');
  });
});

describe('boot', () => {
  it('shows BOOT.md until completed, then records the completion time', async () => {
    const root = tempDir({ 'BOOT.md': 'Do the setup.' });
    const ws = workspaceAt(root, { now: () => new Date('2026-02-03T04:05:06.000Z') });
    expect(await ws.bootStatus()).toEqual({ hasBoot: true, isComplete: false, content: 'Do the setup.' });
    expect(await ws.completeBoot()).toEqual({ completedAt: '2026-02-03T04:05:06.000Z' });
    expect(fs.readFileSync(path.join(root, '.boot-complete'), 'utf8').trim()).toBe(
      '2026-02-03T04:05:06.000Z',
    );
    expect(await ws.bootStatus()).toEqual({
      hasBoot: true,
      isComplete: true,
      content: null,
      completedAt: '2026-02-03T04:05:06.000Z',
    });
  });

  it('reports no boot and no heartbeat for an empty workspace', async () => {
    const ws = workspaceAt(tempDir());
    expect(await ws.bootStatus()).toEqual({ hasBoot: false, isComplete: false, content: null });
    expect(await ws.readHeartbeat()).toBeNull();
  });
});

describe('checkWorkspace', () => {
  it('reports sizes, unusable soul names, stray memory files and a missing root', async () => {
    const root = tempDir({
      'AGENTS.md': 'y'.repeat(20_001),
      'souls/ok-role.md': 'fine',
      'souls/bad role.md': 'unreachable',
      'memory/notes.md': 'never injected',
      'skills/empty-dir/.keep': '',
    });
    const check = await workspaceAt(root).checkWorkspace();
    expect(check.ok).toBe(true);
    expect(check.roles).toEqual(['ok-role']);
    expect(check.files.find((f) => f.name === 'AGENTS.md')).toEqual({
      name: 'AGENTS.md',
      status: 'ok',
      chars: 20_001,
      truncated: true,
    });
    const warnings = check.warnings.join('\n');
    expect(warnings).toContain('AGENTS.md is 20001 characters');
    expect(warnings).toContain('souls/bad role.md can never be used');
    expect(warnings).toContain('memory/notes.md is never injected');
    expect(warnings).toContain('skills/empty-dir has no SKILL.md');

    const missing = await workspaceAt(path.join(root, 'nope')).checkWorkspace();
    expect(missing.ok).toBe(false);
    expect(missing.errors[0]).toMatch(/does not exist/);
  });
});
