import { InvalidTimezoneError, truncateForPrompt } from '../../../../src/clients/workspace';
import { removeTempDirs, tempDir, workspaceAt, writeFile } from './helpers';

afterEach(removeTempDirs);

// 2026-11-24T03:41Z is Monday evening, November 23, in Los Angeles (PST, UTC-8).
const MONDAY_EVENING_LA = new Date('2026-11-24T03:41:00Z');

const SKILL = `---
name: marker-skill
description: SKILL_DESCRIPTION
metadata: {"openclaw":{"always":true,"emoji":"🧪"}}
---
SKILL_BODY
`;

function fullWorkspace(): string {
  return tempDir({
    'SOUL.md': 'DEFAULT_PERSONA_MARK\n',
    'souls/lead.md': '  LEAD_SOUL_MARK  \n',
    'AGENTS.md': 'AGENTS_MARK\n',
    'IDENTITY.md': 'IDENTITY_MARK\n',
    'TOOLS.md': 'TOOLS_MARK\n',
    'USER.md': 'USER_MARK\n',
    'HEARTBEAT.md': 'HEARTBEAT_MARK\n',
    'BOOT.md': 'BOOT_MARK\n',
    'MEMORY.md': 'MEMORY_MARK\n',
    'memory/2026-11-22.md': 'YESTERDAY_MARK\n',
    'memory/2026-11-23.md': 'TODAY_MARK\n',
    'skills/marker/SKILL.md': SKILL,
  });
}

describe('buildSystemPrompt order', () => {
  it('assembles every part in the specified order, blank-line separated and trimmed', async () => {
    const ws = workspaceAt(fullWorkspace(), { includeTimeContext: true, now: () => MONDAY_EVENING_LA });
    const { systemPrompt } = await ws.buildSystemPrompt({
      role: 'lead',
      timezone: 'America/Los_Angeles',
      systemMessages: ['  COMPACT_SUMMARY_MARK \n', ''],
    });
    expect(systemPrompt).toBe(
      [
        'LEAD_SOUL_MARK',
        '## Operating Rules\n\nAGENTS_MARK',
        '## Identity\n\nIDENTITY_MARK',
        '## Tools\n\nTOOLS_MARK',
        '## User\n\nUSER_MARK',
        '## Skills\n\n### 🧪 marker-skill\n\nSKILL_DESCRIPTION\n\nSKILL_BODY',
        '## Memory\n\n### Long-term Memory\n\nMEMORY_MARK\n\n### Yesterday (2026-11-22)\n\nYESTERDAY_MARK\n\n### Today (2026-11-23)\n\nTODAY_MARK',
        '## Conversation Context\n\nCOMPACT_SUMMARY_MARK',
        '## Current Time\n\n- Date: Monday, November 23, 2026\n- Time: 7:41 PM\n- Timezone: America/Los_Angeles',
      ].join('\n\n'),
    );
  });

  it('never injects HEARTBEAT.md or BOOT.md', async () => {
    const { systemPrompt } = await workspaceAt(fullWorkspace()).buildSystemPrompt({ role: 'lead' });
    expect(systemPrompt).not.toContain('HEARTBEAT_MARK');
    expect(systemPrompt).not.toContain('BOOT_MARK');
  });

  it('uses the role soul over SOUL.md, and SOUL.md for a role without a soul or no role', async () => {
    const ws = workspaceAt(fullWorkspace());
    const lead = await ws.buildSystemPrompt({ role: 'lead' });
    expect(lead.systemPrompt.startsWith('LEAD_SOUL_MARK')).toBe(true);
    expect(lead.systemPrompt).not.toContain('DEFAULT_PERSONA_MARK');
    expect(lead.files[0]).toEqual({ name: 'souls/lead.md', chars: 19, truncated: false });
    expect(
      (await ws.buildSystemPrompt({ role: 'writer' })).systemPrompt.startsWith('DEFAULT_PERSONA_MARK'),
    ).toBe(true);
    expect((await ws.buildSystemPrompt()).systemPrompt.startsWith('DEFAULT_PERSONA_MARK')).toBe(true);
  });

  it('falls back to a one-sentence persona naming the role when the workspace is empty', async () => {
    const ws = workspaceAt(tempDir());
    expect((await ws.buildSystemPrompt({ role: 'lead' })).systemPrompt).toBe(
      'You are a helpful AI assistant working as the "lead" agent.',
    );
    expect((await ws.buildSystemPrompt()).systemPrompt).toBe('You are a helpful AI assistant.');
  });

  it('keeps the fallback persona first when only memory exists', async () => {
    const { systemPrompt } = await workspaceAt(tempDir({ 'MEMORY.md': 'MEMORY_MARK' })).buildSystemPrompt({
      role: 'writer',
    });
    expect(systemPrompt).toBe(
      'You are a helpful AI assistant working as the "writer" agent.\n\n## Memory\n\n### Long-term Memory\n\nMEMORY_MARK',
    );
  });

  it('omits disabled skills from the prompt', async () => {
    const root = tempDir({
      'skills/gated/SKILL.md':
        '---\nname: gated\nmetadata: {"openclaw":{"requires":{"env":["NOPE"]}}}\n---\nGATED_BODY',
    });
    const { systemPrompt, files } = await workspaceAt(root).buildSystemPrompt();
    expect(systemPrompt).not.toContain('GATED_BODY');
    expect(systemPrompt).not.toContain('## Skills');
    expect(files).toEqual([]);
  });
});

describe('system prompt override and conversation context', () => {
  it('replaces the workspace part but keeps conversation context and the time block', async () => {
    const ws = workspaceAt(fullWorkspace(), { includeTimeContext: true, now: () => MONDAY_EVENING_LA });
    const result = await ws.buildSystemPrompt({
      role: 'lead',
      timezone: 'UTC',
      systemPromptOverride: 'CUSTOM PROMPT',
      systemMessages: ['SUMMARY'],
    });
    expect(result.systemPrompt).toBe(
      'CUSTOM PROMPT\n\n## Conversation Context\n\nSUMMARY\n\n## Current Time\n\n- Date: Tuesday, November 24, 2026\n- Time: 3:41 AM\n- Timezone: UTC',
    );
    expect(result.files).toEqual([]);
  });

  it('puts several system messages under one Conversation Context heading', async () => {
    const { systemPrompt } = await workspaceAt(tempDir({ 'SOUL.md': 'P' })).buildSystemPrompt({
      systemMessages: ['first', 'second'],
    });
    expect(systemPrompt).toBe('P\n\n## Conversation Context\n\nfirst\n\nsecond');
  });
});

describe('time context', () => {
  it('uses the request timezone, else the configured default, else UTC', async () => {
    const root = tempDir({ 'SOUL.md': 'P' });
    const at = () => MONDAY_EVENING_LA;
    const withDefault = workspaceAt(root, {
      includeTimeContext: true,
      now: at,
      defaultTimezone: 'Europe/Berlin',
    });
    expect((await withDefault.buildSystemPrompt()).systemPrompt).toContain(
      '- Time: 4:41 AM\n- Timezone: Europe/Berlin',
    );
    expect((await withDefault.buildSystemPrompt({ timezone: 'Asia/Tokyo' })).systemPrompt).toContain(
      '- Date: Tuesday, November 24, 2026\n- Time: 12:41 PM\n- Timezone: Asia/Tokyo',
    );
    const noDefault = workspaceAt(root, { includeTimeContext: true, now: at, defaultTimezone: undefined });
    expect((await noDefault.buildSystemPrompt()).systemPrompt).toContain('- Timezone: UTC');
  });

  it('a zone in any letter case is named canonically, and each zone keeps its own clock across turns', async () => {
    const ws = workspaceAt(tempDir({ 'SOUL.md': 'P' }), { includeTimeContext: true, now: () => MONDAY_EVENING_LA });
    // Formatters are reused per zone: alternate zones so a reused one cannot answer for another.
    for (let turn = 0; turn < 2; turn++) {
      expect((await ws.buildSystemPrompt({ timezone: 'asia/TOKYO' })).systemPrompt).toContain(
        '- Time: 12:41 PM\n- Timezone: Asia/Tokyo',
      );
      expect((await ws.buildSystemPrompt({ timezone: 'America/Los_Angeles' })).systemPrompt).toContain(
        '- Date: Monday, November 23, 2026\n- Time: 7:41 PM\n- Timezone: America/Los_Angeles',
      );
    }
  });

  it('leaves the time block out when includeTimeContext is false', async () => {
    const { systemPrompt } = await workspaceAt(tempDir({ 'SOUL.md': 'P' })).buildSystemPrompt({
      timezone: 'Asia/Tokyo',
    });
    expect(systemPrompt).toBe('P');
  });

  it('rejects an unknown timezone with InvalidTimezoneError, not a RangeError', async () => {
    const ws = workspaceAt(tempDir({ 'SOUL.md': 'P' }), { includeTimeContext: true });
    await expect(ws.buildSystemPrompt({ timezone: 'Mars/Olympus_Mons' })).rejects.toBeInstanceOf(
      InvalidTimezoneError,
    );
    // Even with the time block off: the timezone also picks the memory dates.
    await expect(workspaceAt(tempDir()).buildSystemPrompt({ timezone: 'nope' })).rejects.toThrow(
      InvalidTimezoneError,
    );
    expect(() => workspaceAt(tempDir(), { defaultTimezone: 'Not/AZone' })).toThrow(InvalidTimezoneError);
  });
});

describe('memory dates', () => {
  // 02:00 UTC on New Year's Day is still New Year's Eve in Los Angeles.
  const now = () => new Date('2026-01-01T02:00:00Z');
  const files = {
    'memory/2025-12-30.md': 'LA_YESTERDAY',
    'memory/2025-12-31.md': 'LA_TODAY',
    'memory/2026-01-01.md': 'UTC_TODAY',
  };

  it('picks today and yesterday in the configured timezone, not the server clock', async () => {
    const ws = workspaceAt(tempDir(files), { now, defaultTimezone: 'America/Los_Angeles' });
    const { systemPrompt } = await ws.buildSystemPrompt();
    expect(systemPrompt).toContain('### Yesterday (2025-12-30)\n\nLA_YESTERDAY');
    expect(systemPrompt).toContain('### Today (2025-12-31)\n\nLA_TODAY');
    expect(systemPrompt).not.toContain('UTC_TODAY');
  });

  it('follows the request timezone', async () => {
    const ws = workspaceAt(tempDir(files), { now, defaultTimezone: 'America/Los_Angeles' });
    const { systemPrompt } = await ws.buildSystemPrompt({ timezone: 'UTC' });
    expect(systemPrompt).toContain('### Yesterday (2025-12-31)\n\nLA_TODAY');
    expect(systemPrompt).toContain('### Today (2026-01-01)\n\nUTC_TODAY');
    expect(systemPrompt).not.toContain('LA_YESTERDAY');
  });
});

describe('truncation', () => {
  it('cuts a long file to exactly 20,000 characters including a visible marker', async () => {
    const root = tempDir({ 'AGENTS.md': 'a'.repeat(25_000) });
    const result = await workspaceAt(root).buildSystemPrompt();
    expect(result.systemPrompt.startsWith('## Operating Rules\n\n')).toBe(true);
    const body = result.systemPrompt.slice('## Operating Rules\n\n'.length);
    expect(body).toHaveLength(20_000);
    expect(body).toMatch(
      /\n\n\[… truncated: AGENTS\.md is 25000 characters; only the first \d+ are included\]$/,
    );
    const kept = Number(/only the first (\d+)/.exec(body)?.[1]);
    expect(body.startsWith('a'.repeat(kept) + '\n\n[')).toBe(true);
    expect(result.files).toEqual([{ name: 'AGENTS.md', chars: 25_000, truncated: true }]);
  });

  it('leaves a file of exactly the limit alone', async () => {
    const result = await workspaceAt(tempDir({ 'AGENTS.md': 'b'.repeat(20_000) })).buildSystemPrompt();
    expect(result.files).toEqual([{ name: 'AGENTS.md', chars: 20_000, truncated: false }]);
    expect(result.systemPrompt).not.toContain('truncated');
  });

  it('honours maxCharsPerFile and never splits a surrogate pair', () => {
    for (let limit = 100; limit < 110; limit++) {
      const { text, truncated } = truncateForPrompt('X.md', '😀'.repeat(200), limit);
      expect(truncated).toBe(true);
      expect(text).toHaveLength(limit);
      const cut = text.slice(0, text.indexOf('\n'));
      expect(cut).toBe('😀'.repeat(cut.length / 2));
    }
  });
});

describe('summary', () => {
  it('reports chars, a ceil(chars/4) token estimate, files used and a hash that tracks content', async () => {
    const root = tempDir({ 'SOUL.md': 'Persona', 'AGENTS.md': 'Rules' });
    const ws = workspaceAt(root);
    const first = await ws.buildSystemPrompt();
    expect(first.chars).toBe(first.systemPrompt.length);
    expect(first.estimatedTokens).toBe(Math.ceil(first.chars / 4));
    expect(first.files.map((f) => f.name)).toEqual(['SOUL.md', 'AGENTS.md']);
    expect(first.hash).toMatch(/^[0-9a-f]{64}$/);
    expect((await ws.buildSystemPrompt()).hash).toBe(first.hash);

    writeFile(root, 'AGENTS.md', 'Rules v2 with more words');
    expect((await ws.buildSystemPrompt()).hash).not.toBe(first.hash);
  });
});
