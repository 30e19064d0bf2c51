/** GET /context, /skills, /boot and POST /boot/complete over a real workspace folder. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  buildTestApp,
  copyOfExampleWorkspace,
  quietWorkspace,
  removeTempDirs,
  type TestApp,
} from '../../support/api-app';

describe('workspace introspection', () => {
  let t: TestApp;
  let root: string;
  beforeAll(async () => {
    root = copyOfExampleWorkspace();
    t = await buildTestApp({ workspace: quietWorkspace(root) });
  });
  afterAll(async () => {
    await t?.close();
    removeTempDirs();
  });

  describe('GET /context', () => {
    it('reports each file with sizes, truncation and token estimates, persona for the role', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/context?role=lead' });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.maxCharsPerFile).toBe(20_000);
      expect(body.files.map((f: { name: string }) => f.name)).toEqual([
        'AGENTS.md',
        'souls/lead.md',
        'IDENTITY.md',
        'TOOLS.md',
        'USER.md',
        'HEARTBEAT.md',
        'MEMORY.md',
      ]);
      const agents = body.files[0];
      const raw = fs.readFileSync(path.join(root, 'AGENTS.md'), 'utf8');
      expect(agents).toEqual({
        name: 'AGENTS.md',
        exists: true,
        rawChars: raw.length,
        injectedChars: raw.trim().length,
        truncated: false,
        estimatedTokens: Math.ceil(raw.trim().length / 4),
      });
      expect(body.files.find((f: { name: string }) => f.name === 'USER.md')).toMatchObject({
        exists: false,
        injectedChars: 0,
      });
      expect(body.totalBootstrapChars).toBe(
        body.files.reduce((n: number, f: { injectedChars: number }) => n + f.injectedChars, 0),
      );
      expect(body.systemPromptChars).toBeGreaterThan(body.totalBootstrapChars);
      expect(body.estimatedSystemPromptTokens).toBe(Math.ceil(body.systemPromptChars / 4));
    });

    it('uses SOUL.md without a role, and shows a cut file as truncated', async () => {
      fs.writeFileSync(path.join(root, 'TOOLS.md'), 'x'.repeat(25_000));
      const body = (await t.app.inject({ method: 'GET', url: '/context' })).json();
      expect(body.files[1].name).toBe('SOUL.md');
      const tools = body.files.find((f: { name: string }) => f.name === 'TOOLS.md');
      expect(tools).toMatchObject({ exists: true, rawChars: 25_000, truncated: true });
      expect(tools.injectedChars).toBeLessThan(25_000);
    });

    it.each(['../etc', 'a/b', 'x'.repeat(65), 'lead%00', ''])(
      'answers 400 for role %j, never touching a path',
      async (role) => {
        const res = await t.app.inject({ method: 'GET', url: `/context?role=${encodeURIComponent(role)}` });
        expect(res.statusCode).toBe(400);
        expect(res.json()).toEqual({ error: expect.stringContaining('role'), details: expect.any(Array) });
      },
    );
  });

  describe('GET /skills', () => {
    it('lists each skill, enabled or with the reason it is not', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/skills' });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body).toMatchObject({ enabled: 1, total: 2 });
      const byName = Object.fromEntries(body.skills.map((s: { name: string }) => [s.name, s]));
      expect(byName['task-management']).toMatchObject({
        enabled: true,
        location: 'skills/task-management',
        description: expect.stringContaining('Mission Control tasks'),
      });
      expect(byName['task-management'].gateReason).toBeUndefined();
      expect(byName['web-research']).toMatchObject({
        enabled: false,
        location: 'skills/web-research',
        gateReason: expect.stringContaining('SEARCH_API_KEY'),
      });
    });
  });

  describe('GET /boot and POST /boot/complete', () => {
    it('shows BOOT.md until boot is marked complete, then the completion time', async () => {
      const before = (await t.app.inject({ method: 'GET', url: '/boot' })).json();
      expect(before).toEqual({
        hasBoot: true,
        isComplete: false,
        content: fs.readFileSync(path.join(root, 'BOOT.md'), 'utf8'),
      });

      const done = await t.app.inject({ method: 'POST', url: '/boot/complete' });
      expect(done.statusCode).toBe(200);
      const { status, completedAt } = done.json();
      expect(status).toBe('ok');
      expect(new Date(completedAt).toISOString()).toBe(completedAt);
      expect(fs.readFileSync(path.join(root, '.boot-complete'), 'utf8').trim()).toBe(completedAt);

      const after = (await t.app.inject({ method: 'GET', url: '/boot' })).json();
      expect(after).toEqual({ hasBoot: true, isComplete: true, content: null, completedAt });
    });
  });

  describe('a missing workspace folder', () => {
    let missing: TestApp;
    beforeAll(async () => {
      missing = await buildTestApp({
        workspace: quietWorkspace(path.join(os.tmpdir(), 'clasper-no-such-workspace')),
      });
    });
    afterAll(async () => {
      await missing?.close();
    });

    it('is a 503 with a message for the operator, not a 500', async () => {
      for (const url of ['/context', '/context?role=lead']) {
        const res = await missing.app.inject({ method: 'GET', url });
        expect(res.statusCode).toBe(503);
        expect(res.json().error).toEqual(expect.any(String));
      }
      const boot = await missing.app.inject({ method: 'POST', url: '/boot/complete' });
      expect(boot.statusCode).toBe(503);
    });
  });
});
