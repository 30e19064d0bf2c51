/** `clasper init` and `clasper workspace check` on real folders (no Temporal needed). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../../src/cli';
import { TEMPLATE_ENTRIES } from '../../../src/cli/init';
import { bufferOut } from '../../../src/cli/output';
import type { WorkspaceCheck } from '../../../src/clients/workspace';

const clasper = async (args: string[], env: NodeJS.ProcessEnv = {}) => {
  const out = bufferOut();
  const code = await main(['node', 'clasper', ...args], out, env);
  return { code, out };
};

describe('clasper init / workspace check', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'clasper-cli-'));
  });
  afterEach(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('scaffolds the example workspace, and workspace check passes on it', async () => {
    const dir = path.join(tmp, 'ws');
    const init = await clasper(['init', dir]);
    expect(init.code).toBe(0);
    for (const f of [
      'AGENTS.md',
      'SOUL.md',
      'IDENTITY.md',
      'TOOLS.md',
      'HEARTBEAT.md',
      'BOOT.md',
      'MEMORY.md',
    ]) {
      expect(init.out.stdoutText).toContain(`wrote        ${f}`);
      expect(fs.existsSync(path.join(dir, f))).toBe(true);
    }
    expect(fs.existsSync(path.join(dir, 'souls/lead.md'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'skills/task-management/SKILL.md'))).toBe(true);
    // Only the skills the brief names are copied.
    expect(fs.existsSync(path.join(dir, 'skills/web-research'))).toBe(false);
    expect(fs.statSync(path.join(dir, 'memory')).isDirectory()).toBe(true);
    expect(TEMPLATE_ENTRIES).toContain('souls');

    const check = await clasper(['workspace', 'check', '--dir', dir]);
    expect(check.code).toBe(0);
    expect(check.out.stdoutText).toMatch(/roles\s+lead, researcher, writer/);
    expect(check.out.stdoutText).toMatch(/enabled\s+task-management/);
    expect(check.out.stdoutText).toContain('workspace OK');

    // CLASPER_WORKSPACE is the default folder.
    const viaEnv = await clasper(['workspace', 'check', '--json'], { CLASPER_WORKSPACE: dir });
    expect(viaEnv.code).toBe(0);
    const report = viaEnv.out.json<WorkspaceCheck>();
    expect(report).toMatchObject({
      root: fs.realpathSync(dir),
      ok: true,
      errors: [],
      roles: ['lead', 'researcher', 'writer'],
    });
    expect(report.skills).toEqual([expect.objectContaining({ name: 'task-management', enabled: true })]);
  });

  it('keeps existing files unless --force, and says which', async () => {
    const dir = path.join(tmp, 'ws');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'SOUL.md'), 'My own soul\n');

    const first = await clasper(['init', dir, '--json']);
    expect(first.code).toBe(0);
    const result = first.out.json<{ written: string[]; skipped: string[]; overwritten: string[] }>();
    expect(result.skipped).toEqual(['SOUL.md']);
    expect(result.written).toContain('AGENTS.md');
    expect(fs.readFileSync(path.join(dir, 'SOUL.md'), 'utf8')).toBe('My own soul\n');

    const again = await clasper(['init', dir]);
    expect(again.out.stdoutText).toContain('kept         SOUL.md (exists; --force overwrites)');
    expect(again.out.stdoutText).not.toContain('wrote');

    const forced = await clasper(['init', dir, '--force', '--json']);
    expect(forced.code).toBe(0);
    const f = forced.out.json<{ written: string[]; skipped: string[]; overwritten: string[] }>();
    expect(f.skipped).toEqual([]);
    expect(f.overwritten).toEqual(expect.arrayContaining(['SOUL.md', 'AGENTS.md', 'souls/lead.md']));
    expect(fs.readFileSync(path.join(dir, 'SOUL.md'), 'utf8')).not.toBe('My own soul\n');
  });

  it('workspace check exits 1 and names the problem when a skill does not parse', async () => {
    const dir = path.join(tmp, 'ws');
    expect((await clasper(['init', dir])).code).toBe(0);
    fs.writeFileSync(path.join(dir, 'skills/task-management/SKILL.md'), '---\nname: [unclosed\n---\nbody\n');
    const check = await clasper(['workspace', 'check', '--dir', dir]);
    expect(check.code).toBe(1);
    expect(check.out.stdoutText).toMatch(
      /errors\n\s+- skills\/task-management\/SKILL.md: Invalid frontmatter/,
    );
    expect(check.out.stdoutText).toContain('workspace has 1 error');
  });

  it('workspace check on a missing folder fails, in JSON too', async () => {
    const check = await clasper(['workspace', 'check', '--dir', path.join(tmp, 'nope'), '--json']);
    expect(check.code).toBe(1);
    expect(check.out.json<WorkspaceCheck>()).toMatchObject({ ok: false, errors: [expect.any(String)] });
  });

  it('reports an invalid environment instead of running', async () => {
    const check = await clasper(['workspace', 'check', '--json'], {
      CLASPER_DEFAULT_TIMEZONE: 'Mars/Olympus',
    });
    expect(check.code).toBe(1);
    expect(check.out.json()).toEqual({
      error: 'invalid configuration',
      details: [expect.stringContaining('CLASPER_DEFAULT_TIMEZONE must be an IANA time zone')],
    });
  });
});
