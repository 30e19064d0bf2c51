import fs from 'node:fs';
import path from 'node:path';
import { removeTempDirs, tempDir, workspaceAt } from './helpers';

afterEach(removeTempDirs);

/** A temp dir with an executable `mytool` and a non-executable `plainfile`, for PATH lookups. */
function binDir(): string {
  const dir = tempDir({ mytool: '#!/bin/sh\nexit 0\n', plainfile: 'not a program' });
  fs.chmodSync(path.join(dir, 'mytool'), 0o755);
  fs.chmodSync(path.join(dir, 'plainfile'), 0o644);
  return dir;
}

function skill(frontmatter: string, body = 'BODY'): string {
  return `---\n${frontmatter}\n---\n${body}\n`;
}

async function gate(frontmatter: string, env: Record<string, string | undefined> = {}, platform = 'linux') {
  const root = tempDir({ 'skills/s/SKILL.md': skill(frontmatter) });
  const [info] = await workspaceAt(root, { env, platform }).listSkills();
  return info;
}

describe('skill discovery and frontmatter', () => {
  it('lists each skills/<dir>/SKILL.md with name, description, location and emoji', async () => {
    const root = tempDir({
      'skills/b-skill/SKILL.md': skill(
        'name: Beta\ndescription: does B\nmetadata: {"openclaw":{"emoji":"🅱️"}}',
      ),
      'skills/a-skill/SKILL.md': 'No frontmatter at all.',
      'skills/no-skill-file/README.md': 'ignored',
      'skills/.hidden/SKILL.md': 'ignored',
      'skills/nested/deeper/SKILL.md': 'ignored',
      'skills/loose-file.md': 'ignored',
    });
    expect(await workspaceAt(root).listSkills()).toEqual([
      { name: 'a-skill', description: '', enabled: true, location: 'skills/a-skill' },
      { name: 'Beta', description: 'does B', enabled: true, location: 'skills/b-skill', emoji: '🅱️' },
    ]);
  });

  it('parses multi-line YAML, a JSON-string metadata, and keys directly under metadata', async () => {
    const multiLine = await gate(
      'name: multi\ndescription: >\n  spans\n  two lines\nmetadata:\n  openclaw:\n    emoji: 🔎\n    requires:\n      env:\n        - KEY_A',
    );
    expect(multiLine).toMatchObject({
      name: 'multi',
      description: 'spans two lines',
      emoji: '🔎',
      enabled: false,
    });
    expect(multiLine?.gateReason).toBe('Missing env: KEY_A');

    const jsonString = await gate(`metadata: '{"openclaw":{"requires":{"env":["KEY_B"]}}}'`);
    expect(jsonString?.gateReason).toBe('Missing env: KEY_B');

    const direct = await gate('metadata:\n  requires:\n    env: [KEY_C]');
    expect(direct?.gateReason).toBe('Missing env: KEY_C');
  });

  it('reports broken frontmatter as a disabled skill instead of crashing', async () => {
    const unclosedFlow = await gate('name: [unclosed');
    expect(unclosedFlow).toMatchObject({ name: 's', enabled: false, location: 'skills/s' });
    expect(unclosedFlow?.gateReason).toMatch(/^Invalid frontmatter: /);

    const root = tempDir({
      'skills/noclose/SKILL.md': '---\nname: x\nbody without closing line',
      'skills/badjson/SKILL.md': skill(`metadata: '{not json'`),
      'skills/badtype/SKILL.md': skill('metadata: {"openclaw":{"always":"yes"}}'),
      'skills/colon/SKILL.md': skill('description: Use when: things happen'),
      'skills/fine/SKILL.md': skill('name: fine'),
    });
    const ws = workspaceAt(root);
    const byDir = Object.fromEntries((await ws.listSkills()).map((s) => [s.location, s]));
    expect(byDir['skills/noclose']?.gateReason).toBe(
      'Invalid frontmatter: the file starts with --- but has no closing --- line',
    );
    expect(byDir['skills/badjson']?.gateReason).toMatch(
      /^Invalid frontmatter: metadata is a string but not valid JSON/,
    );
    expect(byDir['skills/badtype']?.gateReason).toMatch(/^Invalid frontmatter: metadata always: /);
    expect(byDir['skills/colon']?.gateReason).toMatch(/^Invalid frontmatter: .*quote values/);
    expect(byDir['skills/fine']?.enabled).toBe(true);

    const { systemPrompt } = await ws.buildSystemPrompt();
    expect(systemPrompt).toBe('## Skills\n\n### fine\n\nBODY');
    const check = await ws.checkWorkspace();
    expect(check.ok).toBe(false);
    expect(check.errors.filter((e) => e.includes('Invalid frontmatter'))).toHaveLength(4);
  });
});

describe('skill gating', () => {
  it('enables a skill with always: true even when its requirements are missing', async () => {
    const info = await gate(
      'metadata: {"openclaw":{"always":true,"os":["win32"],"requires":{"env":["NOPE"],"bins":["nope"]}}}',
    );
    expect(info).toMatchObject({ enabled: true });
    expect(info?.gateReason).toBeUndefined();
  });

  it('disables a skill for another OS', async () => {
    const fm = 'metadata: {"openclaw":{"os":["darwin","win32"]}}';
    expect(await gate(fm, {}, 'linux')).toMatchObject({
      enabled: false,
      gateReason: 'OS not supported: linux',
    });
    expect(await gate(fm, {}, 'darwin')).toMatchObject({ enabled: true });
  });

  it('requires env vars to be set and non-empty', async () => {
    const fm = 'metadata: {"openclaw":{"requires":{"env":["SEARCH_KEY"]}}}';
    expect(await gate(fm, {})).toMatchObject({ enabled: false, gateReason: 'Missing env: SEARCH_KEY' });
    expect(await gate(fm, { SEARCH_KEY: '  ' })).toMatchObject({
      enabled: false,
      gateReason: 'Missing env: SEARCH_KEY',
    });
    expect(await gate(fm, { SEARCH_KEY: 'k' })).toMatchObject({ enabled: true });
  });

  it('requires every bin to be an executable on the PATH passed in env', async () => {
    const bins = binDir();
    const fm = (names: string[]) => `metadata: {"openclaw":{"requires":{"bins":${JSON.stringify(names)}}}}`;
    expect(await gate(fm(['mytool']), { PATH: `/definitely/not/here:${bins}` })).toMatchObject({
      enabled: true,
    });
    expect(await gate(fm(['mytool']), { PATH: '' })).toMatchObject({
      enabled: false,
      gateReason: 'Missing binary: mytool',
    });
    expect(await gate(fm(['mytool']), {})).toMatchObject({
      enabled: false,
      gateReason: 'Missing binary: mytool',
    });
    expect(await gate(fm(['plainfile']), { PATH: bins })).toMatchObject({
      enabled: false,
      gateReason: 'Missing binary: plainfile',
    });
    expect(await gate(fm(['mytool', 'other']), { PATH: bins })).toMatchObject({
      gateReason: 'Missing binary: other',
    });
  });

  it('requires at least one of anyBins', async () => {
    const bins = binDir();
    const fm = (names: string[]) =>
      `metadata: {"openclaw":{"requires":{"anyBins":${JSON.stringify(names)}}}}`;
    expect(await gate(fm(['nope1', 'mytool']), { PATH: bins })).toMatchObject({ enabled: true });
    expect(await gate(fm(['nope1', 'nope2']), { PATH: bins })).toMatchObject({
      enabled: false,
      gateReason: 'Missing binary (need one of): nope1, nope2',
    });
  });

  it('enables a skill with no gating metadata', async () => {
    expect(await gate('name: plain\ndescription: d')).toMatchObject({ name: 'plain', enabled: true });
  });
});
