/**
 * The one place that reads the environment. Every process parses it once at start with
 * `loadConfig(process.env)` (or `loadConfigOrExit`) and passes the typed result to factories;
 * nothing else reads `process.env`.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { loadClientConfigProfile, type ClientConfigProfile } from '@temporalio/envconfig';
import { z } from 'zod';
import { cronProblem } from './schedules/cron';
import type { BudgetLimits } from './shared/budget';
import { MULTITASK_STRATEGIES, type MultitaskStrategy } from './shared/session';
import { DEFAULT_TURN_LIMITS, DEFAULT_TURN_TIMEOUT_SEC, type TurnLimits } from './shared/turn';
import { DISPATCH_POLL_BUDGET_SEC } from './shared/dispatch';
import {
  DEFAULT_TIMEOUT_SETTINGS,
  DISPATCH_TIMEOUT_SLACK_SEC,
  type TimeoutSettings,
} from './shared/timeouts';

/** Env values arrive as strings; an empty string means "not set", as in a blank `.env` line. */
const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

const str = (fallback: string) => z.preprocess(blankToUndefined, z.string().default(fallback));
const optionalStr = () => z.preprocess(blankToUndefined, z.string().optional());

const wholeNumber = (min: number, max: number) =>
  z.coerce
    .number({ error: 'must be a whole number' })
    .int({ error: 'must be a whole number' })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` });

const int = (fallback: number, min: number, max: number) =>
  z.preprocess(blankToUndefined, wholeNumber(min, max).default(fallback));

const optionalInt = (min: number, max: number) =>
  z.preprocess(blankToUndefined, wholeNumber(min, max).optional());

const boolEnum = () => z.enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' });
const isTrue = (v: string) => v === 'true' || v === '1' || v === 'yes';
const bool = (fallback: boolean) =>
  z.preprocess(
    blankToUndefined,
    boolEnum()
      .default(fallback ? 'true' : 'false')
      .transform(isTrue),
  );
const optionalBool = () => z.preprocess(blankToUndefined, boolEnum().transform(isTrue).optional());

const httpUrl = () =>
  z
    .string()
    .refine((v) => isHttpUrl(v), { error: 'must be an http(s) URL' })
    .transform((v) => v.replace(/\/+$/, ''));
const url = (fallback: string) => z.preprocess(blankToUndefined, httpUrl().default(fallback));
const optionalUrl = () => z.preprocess(blankToUndefined, httpUrl().optional());

export function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const timeZone = (fallback: string) =>
  z.preprocess(
    blankToUndefined,
    z
      .string()
      .refine(isValidTimeZone, { error: 'must be an IANA time zone such as UTC or Europe/Berlin' })
      .default(fallback),
  );

/** Roles end up in prompts, JWTs and file names (`souls/<role>.md`), so they are kept to a safe alphabet. */
export const ROLE_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** User ids travel in URLs, workflow ids and search attributes. */
export const USER_ID_PATTERN = /^[A-Za-z0-9_.@-]{1,128}$/;

/** `CLASPER_AGENTS=u1:lead,u1:writer` → the agents whose heartbeat and standup schedules are ensured. */
const agents = z.preprocess(
  blankToUndefined,
  z
    .string()
    .default('')
    .transform((v, ctx) => {
      const list: { userId: string; role: string }[] = [];
      for (const item of v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)) {
        const [userId, role, ...rest] = item.split(':');
        if (
          !userId ||
          !role ||
          rest.length > 0 ||
          !USER_ID_PATTERN.test(userId) ||
          !ROLE_PATTERN.test(role)
        ) {
          ctx.addIssue({
            code: 'custom',
            message: `entry '${item}' must look like user_id:role (e.g. u1:lead)`,
          });
          return z.NEVER;
        }
        list.push({ userId, role });
      }
      return list;
    }),
);

/** Key ids travel in every encrypted payload's metadata and in error lines: a short, safe alphabet. */
export const PAYLOAD_KEY_ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
/** AES-256: a payload key is 32 bytes. */
export const PAYLOAD_KEY_BYTES = 32;

/**
 * `CLASPER_PAYLOAD_KEYS=k2:<base64>,k1:<base64>` → the keys that open payloads, by id. The values
 * are never echoed in an error line: they are secrets.
 */
const payloadKeys = z.preprocess(
  blankToUndefined,
  z
    .string()
    .default('')
    .transform((v, ctx) => {
      const keys = new Map<string, Buffer>();
      const items = v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      for (const [index, item] of items.entries()) {
        const colon = item.indexOf(':');
        const id = colon > 0 ? item.slice(0, colon) : '';
        const encoded = colon > 0 ? item.slice(colon + 1).trim() : '';
        const problem = !PAYLOAD_KEY_ID_PATTERN.test(id)
          ? `entry ${index + 1} must look like id:base64key with an id of [A-Za-z0-9_.-]{1,64}`
          : keys.has(id)
            ? `names key '${id}' twice`
            : !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) ||
                Buffer.from(encoded, 'base64').length !== PAYLOAD_KEY_BYTES
              ? `key '${id}' must be ${PAYLOAD_KEY_BYTES} bytes in base64 (openssl rand -base64 32)`
              : undefined;
        if (problem) {
          ctx.addIssue({ code: 'custom', message: problem });
          return z.NEVER;
        }
        keys.set(id, Buffer.from(encoded, 'base64'));
      }
      return keys;
    }),
);

/** Comma-separated origins (`https://cloud.temporal.io`), each an http(s) origin without a path. */
const origins = (fallback: string) =>
  z.preprocess(
    blankToUndefined,
    z
      .string()
      .default(fallback)
      .transform((v, ctx) => {
        const list = v
          .split(',')
          .map((s) => s.trim().replace(/\/+$/, ''))
          .filter(Boolean);
        for (const origin of list) {
          if (!isHttpUrl(origin) || new URL(origin).origin !== origin) {
            ctx.addIssue({
              code: 'custom',
              message: `entry '${origin}' must be an origin such as https://cloud.temporal.io (scheme, host, port; no path)`,
            });
            return z.NEVER;
          }
        }
        return list;
      }),
  );

/** The Temporal UI of `temporal server start-dev` (port 8233), by both loopback names. */
const DEV_UI_ORIGINS = 'http://localhost:8233,http://127.0.0.1:8233';

const envSchema = z.object({
  CLASPER_PORT: int(8081, 1, 65535),
  // Loopback by default, like every dev server here: exposing the API is a decision (compose sets 0.0.0.0).
  CLASPER_HOST: str('127.0.0.1'),
  LOG_LEVEL: z.preprocess(
    blankToUndefined,
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ),
  BACKEND_URL: url('http://localhost:8000'),
  AGENT_JWT_SECRET: optionalStr(),
  AGENT_JWT_ALGORITHM: z.preprocess(blankToUndefined, z.enum(['HS256', 'HS384', 'HS512']).default('HS256')),
  AGENT_JWT_TTL_SEC: int(300, 10, 86_400),
  AGENT_DAEMON_API_KEY: optionalStr(),
  INTERNAL_API_TOKEN: optionalStr(),
  CLASPER_WORKSPACE: str('./workspace'),
  CLASPER_DEFAULT_TASK: optionalStr(),
  CLASPER_DEFAULT_TIMEZONE: timeZone('UTC'),
  CLASPER_INCLUDE_TIME_CONTEXT: bool(true),
  CLASPER_CONTEXT_WARNING_THRESHOLD: int(75, 1, 100),
  CLASPER_MAX_TOOL_ITERATIONS: int(8, 1, 50),
  CLASPER_MAX_TOOL_CALLS_PER_STEP: int(DEFAULT_TURN_LIMITS.maxToolCallsPerStep, 1, 256),
  CLASPER_MAX_TOOL_CALLS_PER_TURN: int(DEFAULT_TURN_LIMITS.maxToolCallsPerTurn, 1, 2_000),
  CLASPER_TOOL_CONCURRENCY: int(DEFAULT_TURN_LIMITS.toolConcurrency, 1, 64),
  // Below Temporal's 2 MB payload limit with room for one step's tool results (docs/architecture.md).
  CLASPER_MAX_TURN_BYTES: int(DEFAULT_TURN_LIMITS.maxTurnBytes, 16_384, 1_048_576),
  CLASPER_TURN_TIMEOUT_SEC: int(DEFAULT_TURN_TIMEOUT_SEC, 10, 7 * 86_400),
  CLASPER_APPROVAL_TOOLS: z.preprocess(
    blankToUndefined,
    z
      .string()
      .default('')
      .transform((v) =>
        v
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean),
      ),
  ),
  CLASPER_APPROVAL_TIMEOUT_SEC: int(DEFAULT_TURN_LIMITS.approvalTimeoutSec, 1, 30 * 86_400),
  CLASPER_SEND_TIMEOUT_SEC: int(120, 1, 3600),
  CLASPER_BUDGET_TOKENS_PER_DAY: int(0, 0, 1_000_000_000_000),
  CLASPER_BUDGET_USD_PER_DAY: z.preprocess(
    blankToUndefined,
    z.coerce.number({ error: 'must be a number' }).min(0, { error: 'must be at least 0' }).default(0),
  ),
  CLASPER_SESSIONS: bool(true),
  CLASPER_MULTITASK_STRATEGY: z.preprocess(blankToUndefined, z.enum(MULTITASK_STRATEGIES).default('enqueue')),
  CLASPER_SESSION_TURNS_PER_RUN: int(100, 1, 1000),
  CLASPER_SESSION_IDLE_SEC: int(DEFAULT_TIMEOUT_SETTINGS.sessionIdleSec, 1, 30 * 86_400),
  CLASPER_SESSION_RUN_MAX_SEC: int(DEFAULT_TIMEOUT_SETTINGS.sessionRunMaxSec, 1, 30 * 86_400),
  CLASPER_HEALTH_CACHE_SEC: int(2, 0, 300),
  CLASPER_WEBHOOK_ALLOW_PRIVATE: bool(false),
  CLASPER_BODY_LIMIT_BYTES: int(1_048_576, 1024, 64 * 1_048_576),
  CLASPER_RATE_LIMIT_PER_MINUTE: int(60, 0, 1_000_000),
  CLASPER_RATE_LIMIT_PER_CALLER_PER_MINUTE: int(1_200, 0, 10_000_000),
  CLASPER_WORKER_METRICS_PORT: int(9464, 0, 65535),
  CLASPER_WORKER_METRICS_HOST: str('127.0.0.1'),
  OPENAI_API_KEY: optionalStr(),
  OPENAI_BASE_URL: optionalUrl(),
  LLM_MODEL_DEFAULT: str('gpt-4o-mini'),
  LLM_MODEL_FALLBACK: optionalStr(),
  LLM_MODEL_CHEAP: optionalStr(),
  // Tokens. Known OpenAI models have their window in src/clients/model/pricing.ts; a local server's
  // is whatever it was started with (llama.cpp --n_ctx), which only the operator knows.
  LLM_CONTEXT_WINDOW: optionalInt(256, 10_000_000),
  LLM_MAX_OUTPUT_TOKENS: optionalInt(1, 1_000_000),
  // Below the model activity's 10 min start-to-close (src/workflows/lib/activity-options.ts).
  LLM_REQUEST_TIMEOUT_SEC: int(60, 1, 540),
  // A stream that stops mid-answer (a server stuck after its headers) hangs no longer than this.
  LLM_STREAM_IDLE_TIMEOUT_SEC: int(30, 1, 540),
  // llama-cpp-python's server cannot stream a request that offers tools (and crashes trying).
  LLM_STREAM_WITH_TOOLS: bool(true),
  LLM_MODEL_LABEL: optionalStr(),
  // Temporal's own client variables (@temporalio/envconfig); blank ones fall back to the profile
  // file, then to the defaults below (temporalProfile).
  TEMPORAL_ADDRESS: optionalStr(),
  TEMPORAL_NAMESPACE: optionalStr(),
  TEMPORAL_API_KEY: optionalStr(),
  TEMPORAL_TLS: optionalBool(),
  TEMPORAL_TLS_CLIENT_CERT_PATH: optionalStr(),
  TEMPORAL_TLS_CLIENT_CERT_DATA: optionalStr(),
  TEMPORAL_TLS_CLIENT_KEY_PATH: optionalStr(),
  TEMPORAL_TLS_CLIENT_KEY_DATA: optionalStr(),
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: optionalStr(),
  TEMPORAL_TLS_SERVER_CA_CERT_DATA: optionalStr(),
  TEMPORAL_TLS_SERVER_NAME: optionalStr(),
  TEMPORAL_PROFILE: optionalStr(),
  TEMPORAL_CONFIG_FILE: optionalStr(),
  CLASPER_TASK_QUEUE: str('clasper'),
  CLASPER_PAYLOAD_KEYS: payloadKeys,
  CLASPER_PAYLOAD_KEY_ID: optionalStr(),
  CLASPER_PAYLOAD_COMPRESS_MIN_BYTES: int(2048, 0, 2_097_152),
  CLASPER_CODEC_TOKEN: optionalStr(),
  CLASPER_CODEC_CORS_ORIGINS: origins(DEV_UI_ORIGINS),
  // Only `production` changes anything: doctor and /health?deep=true then warn about plain payloads.
  NODE_ENV: optionalStr(),
  DISPATCH_INTERVAL_SEC: int(5, 1, 86_400),
  DISPATCH_WINDOW_SEC: int(DEFAULT_TIMEOUT_SETTINGS.dispatchWindowSec, 1, 3_600),
  DISPATCH_LIMIT_USERS: int(25, 1, 1000),
  DISPATCH_LIMIT_NOTIFICATIONS: int(25, 1, 1000),
  STANDUP_CRON: z.preprocess(
    blankToUndefined,
    z
      .string()
      .superRefine((v, ctx) => {
        const problem = cronProblem(v);
        if (problem) ctx.addIssue({ code: 'custom', message: `must be a cron expression: ${problem}` });
      })
      .default('0 9 * * *'),
  ),
  STANDUP_TIMEZONE: timeZone('UTC'),
  HEARTBEAT_TASK: str('Agent Heartbeat'),
  CLASPER_AGENTS: agents,
  MC_LITE_PORT: int(8000, 1, 65535),
  // Loopback by default: the reference backend has no TLS and test-only internal routes. Containers set 0.0.0.0.
  MC_LITE_HOST: str('127.0.0.1'),
  // OpenTelemetry's standard exporter variables (OTLP over HTTP only): tracing is on when an
  // endpoint is set, and costs nothing when none is (src/clients/tracing).
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optionalUrl(),
  OTEL_EXPORTER_OTLP_PROTOCOL: z.preprocess(
    blankToUndefined,
    z
      .enum(['http/protobuf', 'http/json'], {
        error:
          "must be http/protobuf or http/json (grpc is not supported: use the collector's OTLP/HTTP port, 4318)",
      })
      .default('http/protobuf'),
  ),
  OTEL_EXPORTER_OTLP_HEADERS: z.preprocess(
    blankToUndefined,
    z
      .string()
      .optional()
      .transform((v, ctx) => {
        const headers = parseOtlpHeaders(v ?? '');
        if (headers) return headers;
        ctx.addIssue({ code: 'custom', message: 'must be key=value pairs separated by commas' });
        return z.NEVER;
      }),
  ),
  OTEL_SERVICE_NAME: optionalStr(),
  USER_ID: optionalStr(),
  AGENT_ROLE: z.preprocess(
    blankToUndefined,
    z.string().regex(ROLE_PATTERN, { error: 'must match [A-Za-z0-9_-]{1,64}' }).default('agent'),
  ),
});

export type Env = z.infer<typeof envSchema>;

export interface Config {
  /** NODE_ENV=production (the image sets it): unprotected payloads are worth a warning there. */
  production: boolean;
  server: {
    port: number;
    host: string;
    logLevel: Env['LOG_LEVEL'];
    daemonApiKey?: string;
    bodyLimitBytes: number;
    sendTimeoutSec: number;
    /** How long a deep health answer is reused, so probes cannot make the API call Temporal and the backend at will. */
    healthCacheSec: number;
    /** POST /api/agents/send per user_id (else client IP) per minute; 0 = unlimited. */
    rateLimitPerMinute: number;
    /** Model-calling requests per caller (daemon key, else IP) per minute, whatever the user. */
    rateLimitPerCallerPerMinute: number;
  };
  /** Worker process: Prometheus endpoint of the Temporal runtime's metrics; port 0 = off. */
  worker: { metricsPort: number; metricsHost: string };
  temporal: {
    address: string;
    namespace: string;
    taskQueue: string;
    /**
     * Everything needed to connect (address, namespace, API key, TLS), merged the way Temporal's
     * own tools do it: profile file, then TEMPORAL_* variables. src/clients/temporal/connection.ts
     * turns it into connection options. Holds secrets: never log it or pass it to a workflow.
     */
    connection: ClientConfigProfile & { address: string; namespace: string };
  };
  /**
   * Payload encryption (src/clients/temporal/payload-codec.ts). Off when `currentKeyId` is unset;
   * `keys` still open payloads sealed before a rotation. Holds secrets: never log it.
   */
  payloads: { keys: ReadonlyMap<string, Buffer>; currentKeyId?: string; compressMinBytes: number };
  /** The codec server on the API (POST /codec/decode, /codec/encode) for the Temporal UI and CLI. */
  codec: { token?: string; corsOrigins: string[] };
  backend: {
    url: string;
    jwtSecret?: string;
    jwtAlgorithm: Env['AGENT_JWT_ALGORITHM'];
    jwtTtlSec: number;
    internalToken?: string;
  };
  llm: {
    apiKey?: string;
    baseUrl?: string;
    model: string;
    fallbackModel?: string;
    cheapModel?: string;
    /** Tokens the server's context holds; unset = the pricing table's window for the model. */
    contextWindow?: number;
    /** `max_tokens` of every call that does not set its own. */
    maxOutputTokens?: number;
    /** Per attempt of a model call, until its answer (streamed: its first chunk) arrives. Unset: 60 s. */
    requestTimeoutSec?: number;
    /** Streamed calls: the longest wait between two chunks once the answer has begun. Unset: 30 s. */
    streamIdleTimeoutSec?: number;
    /** False: a call that offers tools is never streamed (its text reaches the stream when the step settles). Unset: true. */
    streamWithTools?: boolean;
    /** The name results, metrics and the UI show for LLM_MODEL_DEFAULT, instead of what the server calls it. */
    modelLabel?: string;
  };
  agent: {
    workspace: string;
    defaultTask?: string;
    defaultTimezone: string;
    includeTimeContext: boolean;
    contextWarningThreshold: number;
    maxToolIterations: number;
    /** Fan-out and byte bounds every turn runs under (src/shared/turn.ts). */
    turnLimits: TurnLimits;
    /** Execution timeout of every turn-like workflow: nothing runs forever. */
    turnTimeoutSec: number;
    /** Tools whose calls wait for a person's approval, beside backend tools marked `requires_approval`. */
    approvalTools: string[];
    webhookAllowPrivate: boolean;
  };
  /** Per-user daily spend limits every model call checks (src/shared/budget.ts); 0 = off. */
  budgets: BudgetLimits;
  /** Turns of one session_key in order (src/shared/session.ts). */
  sessions: {
    /** Off: every send starts its turn directly, as before sessions (no ordering, no strategies). */
    enabled: boolean;
    /** `multitask_strategy` of a send that names none. */
    defaultStrategy: MultitaskStrategy;
    /** A session continues as new after this many turns, so its history stays small. */
    turnsPerRun: number;
    /** An idle session workflow ends after this long; the next message starts it again. */
    idleCloseSec: number;
    /** A session run older than this continues as new before its next turn (its run timeout's base). */
    runMaxSec: number;
  };
  dispatch: {
    intervalSec: number;
    /** Seconds one dispatcher run covers, polling every intervalSec; ≤ intervalSec: one poll a run. */
    windowSec: number;
    limitUsers: number;
    limitNotifications: number;
  };
  schedules: {
    standupCron: string;
    standupTimezone: string;
    heartbeatTask: string;
    agents: { userId: string; role: string }[];
  };
  /**
   * OpenTelemetry export; `tracesUrl` unset = tracing off. `headers` may hold a vendor's API key:
   * never log them.
   */
  tracing: {
    tracesUrl?: string;
    protocol: Env['OTEL_EXPORTER_OTLP_PROTOCOL'];
    headers: Record<string, string>;
    /** Unset: each process names itself (clasper-api, clasper-worker). */
    serviceName?: string;
  };
  missionControlLite: { port: number; host: string };
  script: { userId?: string; agentRole: string };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

/** Variables whose values an error line must never echo. */
const SECRET_VALUES = new Set(['CLASPER_PAYLOAD_KEYS']);

function describeValue(value: unknown): string {
  return value === undefined ? 'nothing' : `'${String(value)}'`;
}

/**
 * Parses the environment. Throws a ConfigError whose message has one line per problem, each naming
 * the variable, what it must be, and the value it got: `BACKEND_URL must be an http(s) URL, got 'localhost'`.
 * `require` lists variables this process cannot run without (e.g. the worker needs AGENT_JWT_SECRET).
 */
export function loadConfig(env: Record<string, string | undefined>, require: (keyof Env)[] = []): Config {
  const parsed = envSchema.safeParse(env);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = String(issue.path[0] ?? 'environment');
      const got = SECRET_VALUES.has(name) ? '(value hidden: it holds keys)' : describeValue(env[name]);
      problems.push(`${name} ${issue.message}, got ${got}`);
    }
  }
  for (const name of require) {
    if (blankToUndefined(env[name]) === undefined)
      problems.push(`${name} is required for this process, got nothing`);
  }
  retiredSettings(env, problems);
  const temporalConnection = parsed.success ? temporalProfile(parsed.data, env, problems) : undefined;
  const currentKeyId = parsed.success ? payloadKeyId(parsed.data, problems) : undefined;
  if (problems.length > 0 || !parsed.success || !temporalConnection) throw new ConfigError(problems);
  const e = parsed.data;
  return {
    production: e.NODE_ENV === 'production',
    server: {
      port: e.CLASPER_PORT,
      host: e.CLASPER_HOST,
      logLevel: e.LOG_LEVEL,
      daemonApiKey: e.AGENT_DAEMON_API_KEY,
      bodyLimitBytes: e.CLASPER_BODY_LIMIT_BYTES,
      sendTimeoutSec: e.CLASPER_SEND_TIMEOUT_SEC,
      healthCacheSec: e.CLASPER_HEALTH_CACHE_SEC,
      rateLimitPerMinute: e.CLASPER_RATE_LIMIT_PER_MINUTE,
      rateLimitPerCallerPerMinute: e.CLASPER_RATE_LIMIT_PER_CALLER_PER_MINUTE,
    },
    worker: { metricsPort: e.CLASPER_WORKER_METRICS_PORT, metricsHost: e.CLASPER_WORKER_METRICS_HOST },
    temporal: {
      address: temporalConnection.address,
      namespace: temporalConnection.namespace,
      taskQueue: e.CLASPER_TASK_QUEUE,
      connection: temporalConnection,
    },
    payloads: {
      keys: e.CLASPER_PAYLOAD_KEYS,
      currentKeyId,
      compressMinBytes: e.CLASPER_PAYLOAD_COMPRESS_MIN_BYTES,
    },
    codec: { token: e.CLASPER_CODEC_TOKEN, corsOrigins: e.CLASPER_CODEC_CORS_ORIGINS },
    backend: {
      url: e.BACKEND_URL,
      jwtSecret: e.AGENT_JWT_SECRET,
      jwtAlgorithm: e.AGENT_JWT_ALGORITHM,
      jwtTtlSec: e.AGENT_JWT_TTL_SEC,
      internalToken: e.INTERNAL_API_TOKEN,
    },
    llm: {
      apiKey: e.OPENAI_API_KEY,
      baseUrl: e.OPENAI_BASE_URL,
      model: e.LLM_MODEL_DEFAULT,
      fallbackModel: e.LLM_MODEL_FALLBACK,
      cheapModel: e.LLM_MODEL_CHEAP,
      contextWindow: e.LLM_CONTEXT_WINDOW,
      maxOutputTokens: e.LLM_MAX_OUTPUT_TOKENS,
      requestTimeoutSec: e.LLM_REQUEST_TIMEOUT_SEC,
      streamIdleTimeoutSec: e.LLM_STREAM_IDLE_TIMEOUT_SEC,
      streamWithTools: e.LLM_STREAM_WITH_TOOLS,
      modelLabel: e.LLM_MODEL_LABEL,
    },
    agent: {
      workspace: e.CLASPER_WORKSPACE,
      defaultTask: e.CLASPER_DEFAULT_TASK,
      defaultTimezone: e.CLASPER_DEFAULT_TIMEZONE,
      includeTimeContext: e.CLASPER_INCLUDE_TIME_CONTEXT,
      contextWarningThreshold: e.CLASPER_CONTEXT_WARNING_THRESHOLD,
      maxToolIterations: e.CLASPER_MAX_TOOL_ITERATIONS,
      turnLimits: {
        maxToolCallsPerStep: e.CLASPER_MAX_TOOL_CALLS_PER_STEP,
        maxToolCallsPerTurn: e.CLASPER_MAX_TOOL_CALLS_PER_TURN,
        toolConcurrency: e.CLASPER_TOOL_CONCURRENCY,
        maxTurnBytes: e.CLASPER_MAX_TURN_BYTES,
        approvalTimeoutSec: e.CLASPER_APPROVAL_TIMEOUT_SEC,
      },
      approvalTools: e.CLASPER_APPROVAL_TOOLS,
      turnTimeoutSec: e.CLASPER_TURN_TIMEOUT_SEC,
      webhookAllowPrivate: e.CLASPER_WEBHOOK_ALLOW_PRIVATE,
    },
    budgets: { tokens_per_day: e.CLASPER_BUDGET_TOKENS_PER_DAY, usd_per_day: e.CLASPER_BUDGET_USD_PER_DAY },
    sessions: {
      enabled: e.CLASPER_SESSIONS,
      defaultStrategy: e.CLASPER_MULTITASK_STRATEGY,
      turnsPerRun: e.CLASPER_SESSION_TURNS_PER_RUN,
      idleCloseSec: e.CLASPER_SESSION_IDLE_SEC,
      runMaxSec: e.CLASPER_SESSION_RUN_MAX_SEC,
    },
    dispatch: {
      intervalSec: e.DISPATCH_INTERVAL_SEC,
      windowSec: e.DISPATCH_WINDOW_SEC,
      limitUsers: e.DISPATCH_LIMIT_USERS,
      limitNotifications: e.DISPATCH_LIMIT_NOTIFICATIONS,
    },
    schedules: {
      standupCron: e.STANDUP_CRON,
      standupTimezone: e.STANDUP_TIMEZONE,
      heartbeatTask: e.HEARTBEAT_TASK,
      agents: e.CLASPER_AGENTS,
    },
    tracing: {
      // The signal-specific variable is the full URL; the general one is a base (OTLP/HTTP spec).
      tracesUrl:
        e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
        (e.OTEL_EXPORTER_OTLP_ENDPOINT ? `${e.OTEL_EXPORTER_OTLP_ENDPOINT}/v1/traces` : undefined),
      protocol: e.OTEL_EXPORTER_OTLP_PROTOCOL,
      headers: e.OTEL_EXPORTER_OTLP_HEADERS,
      serviceName: e.OTEL_SERVICE_NAME,
    },
    missionControlLite: { port: e.MC_LITE_PORT, host: e.MC_LITE_HOST },
    script: { userId: e.USER_ID, agentRole: e.AGENT_ROLE },
  };
}

/**
 * `OTEL_EXPORTER_OTLP_HEADERS` as the OTel spec writes it: `key=value,key2=value2`, values
 * URL-encoded. Null when an entry is not `key=value`.
 */
function parseOtlpHeaders(text: string): Record<string, string> | null {
  const headers: Record<string, string> = {};
  for (const entry of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const eq = entry.indexOf('=');
    const key = entry.slice(0, eq).trim();
    if (eq <= 0 || !/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(key)) return null;
    try {
      headers[key.toLowerCase()] = decodeURIComponent(entry.slice(eq + 1).trim());
    } catch {
      return null;
    }
  }
  return headers;
}

/** The key that seals new payloads: CLASPER_PAYLOAD_KEY_ID, or the only key when there is one. */
function payloadKeyId(e: Env, problems: string[]): string | undefined {
  const keys = e.CLASPER_PAYLOAD_KEYS;
  const id = e.CLASPER_PAYLOAD_KEY_ID;
  if (id === undefined) {
    if (keys.size > 1)
      problems.push(
        `CLASPER_PAYLOAD_KEY_ID must name the key that encrypts when CLASPER_PAYLOAD_KEYS holds several (${[...keys.keys()].join(', ')}), got nothing`,
      );
    return keys.size === 1 ? [...keys.keys()][0] : undefined;
  }
  if (!keys.has(id))
    problems.push(
      keys.size === 0
        ? `CLASPER_PAYLOAD_KEY_ID names key '${id}' but CLASPER_PAYLOAD_KEYS is empty: set CLASPER_PAYLOAD_KEYS=${id}:<base64 key>`
        : `CLASPER_PAYLOAD_KEY_ID must be one of the ids in CLASPER_PAYLOAD_KEYS (${[...keys.keys()].join(', ')}), got '${id}'`,
    );
  return id;
}

const TEMPORAL_DEFAULTS = { address: 'localhost:7233', namespace: 'default' };
/** `host:port`, `[v6]:port`: what gRPC dials. A URL here is the common mistake. */
const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/;

/**
 * The Temporal connection profile: the TOML profile file (TEMPORAL_CONFIG_FILE, else
 * ~/.config/temporalio/temporal.toml; TEMPORAL_PROFILE picks the profile) under the TEMPORAL_*
 * variables, as @temporalio/envconfig merges them, then our defaults. Every problem it finds (a
 * missing or unreadable certificate, a key without a certificate, …) is one line in `problems`.
 */
function temporalProfile(
  e: Env,
  env: Record<string, string | undefined>,
  problems: string[],
): Config['temporal']['connection'] | undefined {
  const before = problems.length;
  const vars: Record<string, string> = {};
  for (const name of ENV_NAMES.filter((n) => n.startsWith('TEMPORAL_'))) {
    const value = e[name];
    if (value !== undefined) vars[name] = String(value);
  }
  // Where the default profile file is looked for (envconfig's rule, from the same variables).
  for (const name of ['HOME', 'XDG_CONFIG_HOME', 'APPDATA']) {
    const value = blankToUndefined(env[name]);
    if (typeof value === 'string') vars[name] = value;
  }
  if (e.TEMPORAL_CONFIG_FILE && !fs.existsSync(e.TEMPORAL_CONFIG_FILE))
    problems.push(
      `TEMPORAL_CONFIG_FILE must be a TOML profile file, got '${e.TEMPORAL_CONFIG_FILE}' (no such file)`,
    );
  let profile: ClientConfigProfile;
  try {
    profile = loadClientConfigProfile({ overrideEnvVars: vars });
  } catch (err) {
    const where = e.TEMPORAL_CONFIG_FILE ?? 'the Temporal profile file';
    problems.push(`${where} could not be used: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
  const address = profile.address ?? TEMPORAL_DEFAULTS.address;
  if (!HOST_PORT.test(address))
    problems.push(`TEMPORAL_ADDRESS must be host:port (e.g. localhost:7233), got '${address}'`);
  const tls = profile.tls;
  if (tls && !tls.disabled) {
    const cert = pemSource('TEMPORAL_TLS_CLIENT_CERT', tls.clientCert, problems);
    const key = pemSource('TEMPORAL_TLS_CLIENT_KEY', tls.clientKey, problems);
    const ca = pemSource('TEMPORAL_TLS_SERVER_CA_CERT', tls.serverCACert, problems);
    if (tls.clientKey && !tls.clientCert)
      problems.push(
        'TEMPORAL_TLS_CLIENT_KEY_* is set without a client certificate: set TEMPORAL_TLS_CLIENT_CERT_PATH too',
      );
    if (tls.clientCert && !tls.clientKey)
      problems.push(
        'TEMPORAL_TLS_CLIENT_CERT_* is set without its key: set TEMPORAL_TLS_CLIENT_KEY_PATH too',
      );
    checkPem(cert, ca, key, problems);
  }
  if (problems.length > before) return undefined;
  return { ...profile, address, namespace: profile.namespace ?? TEMPORAL_DEFAULTS.namespace };
}

interface Pem {
  label: string;
  text: string;
}

/** Reads a certificate or key source once, so a missing file is named here and not at connect time. */
function pemSource(
  prefix: string,
  source: { path: string } | { data: string | Uint8Array } | undefined,
  problems: string[],
): Pem | undefined {
  if (!source) return undefined;
  if ('data' in source) return { label: `${prefix}_DATA`, text: Buffer.from(source.data).toString('utf8') };
  try {
    return { label: `${prefix}_PATH`, text: fs.readFileSync(source.path, 'utf8') };
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    problems.push(`${prefix}_PATH must be a readable PEM file, got '${source.path}' (${why})`);
    return undefined;
  }
}

/** The PEM texts parse, and the key is the certificate's: a mismatch fails here, not in a TLS handshake. */
function checkPem(
  cert: Pem | undefined,
  ca: Pem | undefined,
  key: Pem | undefined,
  problems: string[],
): void {
  const parse = <T>(pem: Pem, what: string, fn: (text: string) => T): T | undefined => {
    try {
      return fn(pem.text);
    } catch {
      problems.push(`${pem.label} must hold a PEM ${what}; it does not parse as one`);
      return undefined;
    }
  };
  const x509 = cert && parse(cert, 'certificate', (t) => new crypto.X509Certificate(t));
  if (ca) parse(ca, 'CA certificate', (t) => new crypto.X509Certificate(t));
  const privateKey = key && parse(key, 'private key', (t) => crypto.createPrivateKey(t));
  if (x509 && privateKey && !x509.checkPrivateKey(privateKey))
    problems.push(`${key?.label} is not the key of the certificate in ${cert?.label}`);
}

/**
 * Settings that are derived now: one set by hand would silently mean nothing, so it stops the start.
 * DISPATCH_TIMEOUT_SEC bounded a one-poll run; a run now covers DISPATCH_WINDOW_SEC, which its
 * execution timeout must outlast (src/shared/timeouts.ts).
 */
function retiredSettings(env: Record<string, string | undefined>, problems: string[]): void {
  if (blankToUndefined(env.DISPATCH_TIMEOUT_SEC) === undefined) return;
  problems.push(
    `DISPATCH_TIMEOUT_SEC is no longer read: a dispatcher run's execution timeout is DISPATCH_WINDOW_SEC plus ${(DISPATCH_POLL_BUDGET_SEC + DISPATCH_TIMEOUT_SLACK_SEC) / 60} minutes; remove it (set DISPATCH_WINDOW_SEC to change a run's length), got '${env.DISPATCH_TIMEOUT_SEC}'`,
  );
}

/** For process entry points: a bad environment prints one line per problem and exits 1. */
export function loadConfigOrExit(require: (keyof Env)[] = []): Config {
  try {
    return loadConfig(process.env, require);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`Invalid configuration:\n${err.problems.map((p) => `  ${p}`).join('\n')}\n`);
      process.exit(1);
    }
    throw err;
  }
}

/** Every variable the schema knows, for docs and the docker-compose check. */
/** What the execution timeouts of all workflows derive from (src/shared/timeouts.ts). */
export function timeoutSettings(config: Config): TimeoutSettings {
  return {
    turnTimeoutSec: config.agent.turnTimeoutSec,
    approvalTimeoutSec: config.agent.turnLimits.approvalTimeoutSec,
    maxToolIterations: config.agent.maxToolIterations,
    dispatchIntervalSec: config.dispatch.intervalSec,
    dispatchWindowSec: config.dispatch.windowSec,
    sessionIdleSec: config.sessions.idleCloseSec,
    sessionRunMaxSec: config.sessions.runMaxSec,
  };
}

export const ENV_NAMES = Object.keys(envSchema.shape) as (keyof Env)[];

/**
 * A `.env` file's `NAME=value` lines (comments and blanks skipped, one pair of quotes removed);
 * empty when there is no such file. make dev, the one-shot scripts and the CLI put it under the
 * real environment, which wins.
 */
export function readDotEnvFile(file: string): Record<string, string> {
  if (!fs.existsSync(file)) return {};
  const out: Record<string, string> = {};
  for (const line of fs.readFileSync(file, 'utf8').split(/\r?\n/)) {
    const m = /^\s*([A-Z0-9_]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m || line.trim().startsWith('#')) continue;
    out[m[1] as string] = (m[2] as string).replace(/^(['"])(.*)\1$/, '$2');
  }
  return out;
}
