/**
 * `make dev` (full): Temporal dev server with a SQLite file under .data/, the reference Mission
 * Control backend, the worker and the API, on embedded defaults; Ctrl-C stops them all. When there
 * is no `.env`, it writes one with the built-in secrets, so `clasper doctor` and the scripts see
 * what make dev runs with (an existing `.env` is never changed). When only the backend exits the
 * rest keeps running, so a backend outage can be tried; any other process exiting stops all.
 * `npm run dev` (`--runtime-only`): just the worker and the API, against the Temporal and backend
 * the environment names — what a team runs beside its own backend.
 *
 * `--dir <path>` (default: the repo root) holds `.env` and `.data/`, and `--ui-port <n>` moves the
 * Temporal UI off 8233: for running a second copy beside a first, as the tests do.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig, ConfigError, readDotEnvFile } from '../src/config';
import { generatePayloadKey } from '../src/clients/temporal/payload-codec';
import { DEV_DEFAULTS, ensureDotEnv } from './lib/dev-env';
import { REPO_ROOT, startDevServer, type DevServer } from './lib/temporal-dev-server';

const runtimeOnly = process.argv.includes('--runtime-only');
const dir = path.resolve(flag('--dir') ?? REPO_ROOT);
const uiPort = Number(flag('--ui-port') ?? 8233);

function flag(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

const children: ChildProcess[] = [];
let temporal: DevServer | undefined;
let stopping = false;

function run(name: string, script: string, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'node_modules/tsx/dist/cli.mjs'), script], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const prefix = `[${name}] `;
  const pipe = (stream: NodeJS.ReadableStream | null, out: NodeJS.WriteStream) =>
    stream?.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n')) if (line.trim()) out.write(prefix + line + '\n');
    });
  pipe(child.stdout, process.stdout);
  pipe(child.stderr, process.stderr);
  child.on('exit', (code, signal) => {
    if (stopping) return;
    if (name === 'backend') {
      // A backend outage is worth trying: turns retry until it answers again.
      process.stderr.write(
        `${prefix}exited (${signal ?? code}); the worker, the API and Temporal keep running: turns wait and ` +
          'retry until a backend answers at BACKEND_URL again. Ctrl-C stops everything.\n',
      );
      return;
    }
    process.stderr.write(`${prefix}exited (${signal ?? code}); stopping everything\n`);
    void stop(1);
  });
  children.push(child);
  return child;
}

async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.status < 500) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  // A child killed by a signal has no exit code, only a signal code: it is gone all the same.
  const running = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;
  for (const c of children) if (running(c)) c.kill('SIGTERM');
  await Promise.all(
    children.map((c) => (running(c) ? new Promise((r) => c.once('exit', r)) : Promise.resolve())),
  );
  await temporal?.stop();
  process.exit(code);
}

/**
 * A payload key and codec token for `make dev` when .env sets none, kept in .data/ beside the
 * Temporal database: a new key each start would leave the turns stored under the last one unreadable.
 */
function devPayloadProtection(env: NodeJS.ProcessEnv, dataDir: string): void {
  const file = path.join(dataDir, 'dev-payload-protection.json');
  let saved: { keys?: string; token?: string } = {};
  if (fs.existsSync(file)) saved = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof saved;
  const fresh = {
    keys: saved.keys ?? generatePayloadKey('dev1'),
    token: saved.token ?? crypto.randomBytes(24).toString('base64url'),
  };
  if (!saved.keys || !saved.token)
    fs.writeFileSync(file, JSON.stringify(fresh, null, 2) + '\n', { mode: 0o600 });
  env.CLASPER_PAYLOAD_KEYS ||= fresh.keys;
  env.CLASPER_CODEC_TOKEN ||= fresh.token;
}

async function main(): Promise<void> {
  const dotEnv = path.join(dir, '.env');
  const dotEnvLines = runtimeOnly ? [] : ensureDotEnv(dotEnv, process.env);
  const env: NodeJS.ProcessEnv = { ...readDotEnvFile(dotEnv), ...process.env };
  const dataDir = path.join(dir, '.data');
  if (!runtimeOnly) {
    for (const [k, v] of Object.entries(DEV_DEFAULTS)) env[k] ||= v;
    fs.mkdirSync(dataDir, { recursive: true });
    devPayloadProtection(env, dataDir);
  }

  let config;
  try {
    config = loadConfig(env, ['AGENT_JWT_SECRET']);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`Invalid configuration:\n${err.problems.map((p) => `  ${p}`).join('\n')}\n`);
      process.exit(1);
    }
    throw err;
  }
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  const codecUrl = `http://localhost:${config.server.port}/codec`;
  const codecToken = config.codec.token ?? config.server.daemonApiKey;
  if (!runtimeOnly) {
    for (const line of dotEnvLines) process.stdout.write(`${line}\n`);
    const port = Number(config.temporal.address.split(':').pop() ?? 7233);
    process.stdout.write(
      `starting Temporal dev server on ${config.temporal.address} (UI ${uiPort}, data .data/temporal.db)\n`,
    );
    temporal = await startDevServer({
      port,
      uiPort,
      dbFilename: path.join(dataDir, 'temporal.db'),
      // The UI sends no header of ours, so its endpoint carries the token (routes/codec.ts).
      ...(codecToken && config.payloads.currentKeyId
        ? { uiCodecEndpoint: `${codecUrl}/${encodeURIComponent(codecToken)}` }
        : {}),
    });
    run('backend', 'examples/mission-control-lite/main.ts', env);
    await waitForHttp(`${config.backend.url}/health`, 30_000);
  }
  run('worker', 'src/worker/main.ts', env);
  run('api', 'src/api/main.ts', env);
  const apiUrl = `http://localhost:${config.server.port}`;
  await waitForHttp(`${apiUrl}/health`, 60_000);

  const llm = config.llm.apiKey
    ? `OpenAI (${config.llm.model})`
    : config.llm.baseUrl
      ? `${config.llm.baseUrl} (${config.llm.model})`
      : 'built-in OFFLINE DEMO MODEL (deterministic, not an LLM; set OPENAI_API_KEY or OPENAI_BASE_URL for a real one)';
  const key = config.server.daemonApiKey ? ` -H 'X-Agent-Daemon-Key: ${config.server.daemonApiKey}'` : '';
  process.stdout.write(
    [
      '',
      'Clasper on Temporal is running',
      `  API          ${apiUrl}   (OpenAPI: ${apiUrl}/docs)`,
      runtimeOnly ? `  Temporal     ${config.temporal.address}` : `  Temporal UI  http://localhost:${uiPort}`,
      `  Backend      ${config.backend.url}${runtimeOnly ? '' : '   (reference Mission Control, in memory)'}`,
      `  LLM          ${llm}`,
      config.payloads.currentKeyId
        ? `  Payloads     encrypted (key '${config.payloads.currentKeyId}'); the UI decodes them through ${codecUrl}`
        : '  Payloads     plain JSON (CLASPER_PAYLOAD_KEYS unset)',
      '',
      'Try:',
      `  curl -s ${apiUrl}/api/agents/send -H 'Content-Type: application/json'${key} \\`,
      `    -d '{"user_id":"u1","session_key":"user:u1:lead","task_title":"Launch plan","message":"Create a task called \\"Draft press release\\" and plan the launch"}'`,
      '',
      ...(config.payloads.currentKeyId && codecToken
        ? [
            'Raw history (what Temporal stores) vs decoded:',
            `  temporal workflow show -w <turn_id> --output json`,
            `  temporal workflow show -w <turn_id> --codec-endpoint ${codecUrl} --codec-auth 'Bearer ${codecToken}'`,
            '',
          ]
        : []),
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
}

main().catch((err) => {
  process.stderr.write(`make dev failed: ${err instanceof Error ? err.message : String(err)}\n`);
  void stop(1);
});
