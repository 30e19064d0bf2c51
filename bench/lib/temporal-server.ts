/**
 * The bench's server profiles for `temporal server start-dev` (scripts/lib/temporal-dev-server.ts,
 * which holds the dynamic config and SQLite pragmas every dev server runs with): the settings
 * `make dev` uses, and the stock ones they replace, so the tuning scenario keeps measuring what
 * each setting buys.
 */
import { startDevServer, type DevServer } from '../../scripts/lib/temporal-dev-server';

export interface ServerProfile {
  name: string;
  why: string;
  /** Over DEV_DYNAMIC_CONFIG. */
  dynamicConfig: Record<string, string | number | boolean>;
  /** Instead of DEV_SQLITE_PRAGMAS; undefined = those. */
  sqlitePragmas?: Record<string, string>;
}

export const SERVER_DEFAULT: ServerProfile = {
  name: 'make dev settings',
  why: 'temporal server start-dev as `make dev` runs it: transfer and timer queue reads unthrottled (1000/s), SQLite in WAL mode with synchronous=NORMAL',
  dynamicConfig: {},
};

export const SERVER_STOCK_THROTTLE: ServerProfile = {
  name: 'stock queue-read throttle',
  why: 'history.transferProcessorMaxPollRPS and history.timerProcessorMaxPollRPS at their default 20/s (what `make dev` ran before): the one-shard dev server adds ~25 ms per workflow task in a series of fast turns',
  dynamicConfig: { 'history.transferProcessorMaxPollRPS': 20, 'history.timerProcessorMaxPollRPS': 20 },
};

export const SERVER_STOCK_SQLITE: ServerProfile = {
  name: 'stock SQLite journal',
  why: "no --sqlite-pragma: SQLite's rollback journal with synchronous=FULL, an fsync per committed transaction",
  dynamicConfig: {},
  sqlitePragmas: {},
};

/** The alternatives the tuning scenario measures beside SERVER_DEFAULT. */
export const SERVER_ALTERNATIVES: ServerProfile[] = [SERVER_STOCK_THROTTLE, SERVER_STOCK_SQLITE];

export function startBenchServer(opts: { dbFilename?: string; profile: ServerProfile }): Promise<DevServer> {
  return startDevServer({
    dbFilename: opts.dbFilename,
    dynamicConfig: opts.profile.dynamicConfig,
    sqlitePragmas: opts.profile.sqlitePragmas,
  });
}
