/** make dev's built-in secrets and the `.env` it writes with them (scripts/dev.ts). */
import fs from 'node:fs';
import path from 'node:path';
import { readDotEnvFile } from '../../src/config';

/** Embedded defaults for a local demo only; a real deployment sets its own secrets. */
export const DEV_DEFAULTS: Record<string, string> = {
  AGENT_JWT_SECRET: 'dev-only-agent-jwt-secret-change-me',
  INTERNAL_API_TOKEN: 'dev-only-internal-token-change-me',
};

/**
 * `.env` for the tools that run beside make dev: written with the built-in secrets when absent,
 * never changed when present (then any built-in secret it lacks, and `env` does not set, is named,
 * since the tools cannot see it). Returns the lines make dev prints.
 */
export function ensureDotEnv(file: string, env: Record<string, string | undefined>): string[] {
  const relative = path.relative(process.cwd(), file);
  const shown = relative && !relative.startsWith('..') ? relative : file;
  if (!fs.existsSync(file)) {
    fs.writeFileSync(
      file,
      [
        '# Written by make dev because there was no .env: the built-in demo secrets it runs with, so',
        '# clasper doctor and npm run heartbeat|standup|dispatcher use the same ones. Local demo only:',
        '# a real deployment sets its own (see .env.example). make dev never overwrites this file.',
        ...Object.entries(DEV_DEFAULTS).map(([k, v]) => `${k}=${v}`),
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    return [`wrote ${shown} with make dev's built-in secrets (${Object.keys(DEV_DEFAULTS).join(', ')})`];
  }
  const fromFile = readDotEnvFile(file);
  const missing = Object.keys(DEV_DEFAULTS).filter((k) => !fromFile[k] && !env[k]);
  return [
    `using the existing ${shown} (make dev does not change it)`,
    ...(missing.length > 0
      ? [
          `  it does not set ${missing.join(', ')}: make dev uses built-in values that clasper doctor and the scripts ` +
            `cannot see; add them to ${shown} to share them`,
        ]
      : []),
  ];
}
