/**
 * The import-boundary rules in eslint.config.mjs fire: each case lints a small file placed in one
 * src/ folder and expects the restricted-import error (or none, for the allowed direction).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const RULE = '@typescript-eslint/no-restricted-imports';

// ESLint loads its ESM config with a dynamic import, which jest's CommonJS runtime cannot do, so
// every case is linted in one child `node` process. The probe files do not exist, so the
// type-aware parsing (and the rules that need it) is switched off for them; the boundary rules
// need no types.
const LINT_CASES = `
import { ESLint } from 'eslint';
const cases = JSON.parse(await new Promise((ok) => { let s = ''; process.stdin.on('data', (d) => (s += d)); process.stdin.on('end', () => ok(s)); }));
const eslint = new ESLint({
  cwd: process.cwd(),
  overrideConfig: [{
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: false } },
    rules: { '@typescript-eslint/no-floating-promises': 'off', '@typescript-eslint/no-misused-promises': 'off', '@typescript-eslint/await-thenable': 'off' },
  }],
});
const out = [];
for (const c of cases) {
  const [r] = await eslint.lintText(c.code, { filePath: c.file });
  if (r.messages.some((m) => m.fatal)) throw new Error(JSON.stringify(r.messages));
  out.push(r.messages.filter((m) => m.ruleId === ${JSON.stringify(RULE)}).map((m) => m.message));
}
process.stdout.write(JSON.stringify(out));
`;

function restrictedImports(cases: { file: string; code: string }[]): string[][] {
  const input = JSON.stringify(
    cases.map((c) => ({ file: path.join(ROOT, c.file), code: `${c.code}\nexport {};\n` })),
  );
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', LINT_CASES], {
    cwd: ROOT,
    input,
    encoding: 'utf8',
  });
  return JSON.parse(out) as string[][];
}

describe('import boundaries', () => {
  const violations: [string, string, string][] = [
    ['src/api/x.ts', "import { createActivities } from '../activities';", 'never imports activities'],
    ['src/api/x.ts', "import { createClasperWorker } from '../worker/worker';", 'never imports worker'],
    ['src/api/x.ts', "import type { agentTurn } from '../workflows';", 'never imports workflows'],
    ['src/cli/x.ts', "import { createActivities } from '../activities';", 'never activities'],
    ['src/workflows/x.ts', "import { createActivities } from '../activities';", 'via `import type`'],
    [
      'src/workflows/x.ts',
      "import { MissionControlClient } from '../clients/mission-control';",
      'not clients',
    ],
    ['src/workflows/x.ts', "import fs from 'node:fs';", 'no Node built-ins'],
    ['src/shared/x.ts', "import { loadConfig } from '../config';", 'not config'],
    ['src/shared/x.ts', "import { agentTurn } from '../workflows/agent-turn';", 'not workflows'],
    ['src/clients/x.ts', "import { createActivities } from '../activities';", 'not activities'],
    ['src/clients/model/x.ts', "import { ensureSchedules } from '../../schedules/ensure';", 'not schedules'],
    ['src/clients/model/x.ts', "import { Context } from '@temporalio/activity';", 'take an AbortSignal'],
    ['src/activities/x.ts', "import { buildApp } from '../api/app';", 'not api'],
    ['src/schedules/x.ts', "import { createActivities } from '../activities';", 'not activities'],
    ['src/worker/x.ts', "import { buildApp } from '../api/app';", 'never imports api'],
  ];

  const allowed: [string, string][] = [
    ['src/workflows/x.ts', "import type { Activities } from '../activities';"],
    ['src/workflows/x.ts', "import { makeAgentTurnId } from '../shared/ids';"],
    ['src/api/x.ts', "import { MissionControlClient } from '../clients/mission-control';"],
    ['src/api/x.ts', "import { ensureSchedules } from '../schedules/ensure';"],
    ['src/worker/x.ts', "import { createActivities } from '../activities';"],
    ['src/activities/x.ts', "import { MissionControlClient } from '../clients/mission-control';"],
    ['src/activities/x.ts', "import { planDispatchBatch } from './deliveries';"],
  ];

  let results: string[][] = [];
  beforeAll(() => {
    results = restrictedImports([...violations, ...allowed].map(([file, code]) => ({ file, code })));
  }, 120_000);

  test.each(violations.map((v, i) => [...v, i] as const))(
    '%s: %s is refused',
    (_file, _code, expected, i) => {
      const messages = results[i] ?? [];
      expect(messages).toHaveLength(1);
      expect(messages[0]).toContain(expected);
    },
  );

  test.each(allowed.map((a, i) => [...a, violations.length + i] as const))(
    '%s: %s is allowed',
    (_f, _c, i) => {
      expect(results[i]).toEqual([]);
    },
  );
});
