/**
 * The bench's server profiles for `temporal server start-dev` (scripts/lib/temporal-dev-server.ts):
 * the defaults, and one with dynamic-config values.
 *
 * Why a second server profile: the dev server has ONE history shard, and each shard reads its
 * transfer queue (the step that hands a scheduled workflow task to matching) at most
 * `history.transferProcessorMaxPollRPS` times a second, 20 by default (a token bucket, so short
 * bursts pass). With every workflow on one shard, back-to-back fast turns make each workflow task
 * wait ~25 ms for that read: a plain turn with a 0 ms model took ~300 ms instead of ~135 ms in a
 * sustained series while we explored. A cluster spreads workflows over many shards, where this
 * limit rarely binds. The scenarios run the defaults (what `make dev` gives); the tuning scenario
 * measures the unthrottled profile beside them.
 */
import { startDevServer, type DevServer } from '../../scripts/lib/temporal-dev-server';

export interface ServerProfile {
  name: string;
  why: string;
  dynamicConfig: Record<string, string | number | boolean>;
}

export const SERVER_DEFAULT: ServerProfile = {
  name: 'dev-server defaults',
  why: 'temporal server start-dev as `make dev` runs it',
  dynamicConfig: {},
};

export const SERVER_UNTHROTTLED: ServerProfile = {
  name: 'transfer reads unthrottled',
  why: 'history.transferProcessorMaxPollRPS 20 → 1000 (and the timer queue alike): the one-shard dev server stops adding ~25 ms per workflow task',
  dynamicConfig: { 'history.transferProcessorMaxPollRPS': 1000, 'history.timerProcessorMaxPollRPS': 1000 },
};

export function startBenchServer(opts: { dbFilename?: string; profile: ServerProfile }): Promise<DevServer> {
  return startDevServer({ dbFilename: opts.dbFilename, dynamicConfig: opts.profile.dynamicConfig });
}
