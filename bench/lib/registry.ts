/**
 * Every scenario, in the order RESULTS.md presents them (the order), and the order they
 * run in: the heavy 50-step history turn (tens of MB into the server's SQLite file) goes last so
 * it cannot slow the latency figures.
 */
import type { Scenario } from './scenario';
import { codecScenario } from '../scenarios/codec';
import { dispatchLatency } from '../scenarios/dispatch-latency';
import { historySize } from '../scenarios/history-size';
import { memory } from '../scenarios/memory';
import { sessions } from '../scenarios/sessions';
import { streaming } from '../scenarios/streaming';
import { tracingScenario } from '../scenarios/tracing';
import { throughput } from '../scenarios/throughput';
import { tuning } from '../scenarios/tuning';
import { turnLatency } from '../scenarios/turn-latency';
import { workspaceScenario } from '../scenarios/workspace';

export const SCENARIOS: Scenario[] = [
  turnLatency,
  throughput,
  dispatchLatency,
  workspaceScenario,
  historySize,
  memory,
  tuning,
  // Last, so the sections the others cite by number keep their numbers.
  streaming,
  sessions,
  tracingScenario,
  codecScenario,
] as Scenario[];

export const RUN_ORDER = [
  'workspace',
  'turn-latency',
  'throughput',
  'memory',
  'dispatch-latency',
  'streaming',
  'sessions',
  'tracing',
  'codec',
  'tuning',
  'history-size',
];
