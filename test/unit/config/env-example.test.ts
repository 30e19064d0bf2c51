/** `.env.example` documents every variable with its real default; this keeps it from drifting. */
import fs from 'node:fs';
import path from 'node:path';
import { ENV_NAMES, loadConfig } from '../../../src/config';

/** A deliberately simple dotenv reader: skip comments and blanks, split at the first `=`, unquote. */
function parseDotenv(text: string): { entries: [string, string][] } {
  const entries: [string, string][] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`.env.example line is not NAME=value: ${line}`);
    let value = line.slice(eq + 1).trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0]))
      value = value.slice(1, -1);
    entries.push([line.slice(0, eq).trim(), value]);
  }
  return { entries };
}

const { entries } = parseDotenv(fs.readFileSync(path.resolve(__dirname, '../../../.env.example'), 'utf8'));
const env = Object.fromEntries(entries);

describe('.env.example', () => {
  it('lists every config variable exactly once, and nothing else', () => {
    const names = entries.map(([name]) => name);
    expect(new Set(names).size).toBe(names.length);
    expect([...names].sort()).toEqual([...ENV_NAMES].sort());
  });

  it('binds the API and the worker metrics to loopback unless told otherwise', () => {
    const { server, worker, missionControlLite } = loadConfig({});
    expect([server.host, worker.metricsHost, missionControlLite.host]).toEqual([
      '127.0.0.1',
      '127.0.0.1',
      '127.0.0.1',
    ]);
  });

  it('shows the real defaults: loading it gives the same config as an empty environment', () => {
    expect(loadConfig(env)).toEqual(loadConfig({}));
  });

  it('writes out every default; only variables without one are blank', () => {
    const withoutDefault = [
      'AGENT_JWT_SECRET',
      'AGENT_DAEMON_API_KEY',
      'INTERNAL_API_TOKEN',
      'CLASPER_DEFAULT_TASK',
      'OPENAI_API_KEY',
      'OPENAI_BASE_URL',
      'LLM_MODEL_FALLBACK',
      'LLM_MODEL_CHEAP',
      'LLM_CONTEXT_WINDOW',
      'LLM_MAX_OUTPUT_TOKENS',
      'LLM_MODEL_LABEL',
      'USER_ID',
      'CLASPER_AGENTS',
      'CLASPER_APPROVAL_TOOLS',
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
      'OTEL_EXPORTER_OTLP_HEADERS',
      'OTEL_SERVICE_NAME',
      'CLASPER_PAYLOAD_KEYS',
      'CLASPER_PAYLOAD_KEY_ID',
      'CLASPER_CODEC_TOKEN',
      'NODE_ENV',
      // Temporal's variables: blank means "from the profile file, else the default".
      ...ENV_NAMES.filter((n) => n.startsWith('TEMPORAL_')),
    ];
    const blank = entries.filter(([, value]) => value === '').map(([name]) => name);
    expect(blank.sort()).toEqual(withoutDefault.sort());
    expect(env).toMatchObject({
      CLASPER_PORT: '8081',
      LLM_MODEL_DEFAULT: 'gpt-4o-mini',
      DISPATCH_INTERVAL_SEC: '5',
      STANDUP_CRON: '0 9 * * *',
    });
  });

  it('leaves secrets blank', () => {
    for (const name of [
      'AGENT_JWT_SECRET',
      'INTERNAL_API_TOKEN',
      'AGENT_DAEMON_API_KEY',
      'OPENAI_API_KEY',
      'CLASPER_PAYLOAD_KEYS',
      'CLASPER_CODEC_TOKEN',
    ])
      expect(env[name]).toBe('');
  });

  it('quotes values with spaces so shells and dotenv read them alike', () => {
    const text = fs.readFileSync(path.resolve(__dirname, '../../../.env.example'), 'utf8');
    expect(text).toMatch(/^STANDUP_CRON="0 9 \* \* \*"$/m);
    for (const line of text.split('\n').filter((l) => /^[A-Z_]+=/.test(l))) {
      const value = line.slice(line.indexOf('=') + 1);
      if (/\s/.test(value)) expect(value).toMatch(/^".*"$/);
    }
  });
});
