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
import { builtinToolSpecs } from '../../../src/clients/mission-control/tool-schemas';
import { tokenCounter } from '../../../src/clients/model/tokens';

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
      // Counted with the model's tokenizer (gpt-4o-mini: o200k), as the model step counts the prompt.
      const { systemPrompt } = await quietWorkspace(root).buildSystemPrompt({ role: 'lead' });
      const counted = tokenCounter('gpt-4o-mini').count(systemPrompt) + 4 + 3;
      const tools = builtinToolSpecs();
      const toolTokens = tokenCounter('gpt-4o-mini').count(JSON.stringify(tools));
      expect(body.estimatedSystemPromptTokens).toBe(counted);
      expect(body.tokens).toEqual({
        model: 'gpt-4o-mini',
        method: 'tiktoken:o200k_base',
        methodDescription: 'counted with o200k_base (js-tiktoken)',
        systemPromptTokens: counted,
        toolSchemas: tools.length,
        toolTokens,
        totalTokens: counted + toolTokens,
        contextWindow: 128_000,
        contextWindowSource: 'known model window',
        windowPercent: Math.round(((counted + toolTokens) / 128_000) * 1000) / 10,
      });
      expect(toolTokens).toBeGreaterThan(500);
    });

    it('names a local model by its label, estimates roughly (and says so) against LLM_CONTEXT_WINDOW', async () => {
      const local = await buildTestApp({
        workspace: quietWorkspace(root),
        env: {
          OPENAI_BASE_URL: 'http://127.0.0.1:8090/v1',
          LLM_MODEL_DEFAULT: '/models/SmolLM2-135M-Instruct.Q8_0.gguf',
          LLM_CONTEXT_WINDOW: '4096',
        },
      });
      try {
        const body = (await local.app.inject({ method: 'GET', url: '/context?role=lead' })).json();
        expect(body.tokens).toMatchObject({
          model: 'SmolLM2-135M-Instruct.Q8_0',
          method: 'rough:chars/4',
          methodDescription: expect.stringContaining('rough estimate'),
          toolSchemas: builtinToolSpecs().length,
          contextWindow: 4096,
          contextWindowSource: 'LLM_CONTEXT_WINDOW',
        });
        expect(body.tokens.toolTokens).toBe(Math.ceil(JSON.stringify(builtinToolSpecs()).length / 4));
        expect(body.tokens.windowPercent).toBeCloseTo((body.tokens.totalTokens / 4096) * 100, 1);
        // A 4k window holds the prompt with tools, but not with much room to spare.
        expect(body.tokens.windowPercent).toBeGreaterThan(20);
      } finally {
        await local.close();
      }
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
