/**
 * The goals the bench marks met or missed (issue 12's Targets), in one place: each scenario reads
 * the goal it measures from here, so RESULTS.md, the tuning chart's reference line and the issue
 * cannot drift apart. Ratios are durable / in-process baseline of the same repeat.
 */
export const GOALS = {
  /** 300 ms model, concurrency 1, plain reply and two tool calls: durable p50 ≤ this × baseline. */
  c1P50Ratio: 1.1,
  /** 300 ms model, concurrency 32: durable turns/s ≥ this × baseline (1 worker, dev server co-located). */
  c32ThroughputRatio: 0.5,
  /** 300 ms model, concurrency 32: durable p50 ≤ this × baseline. */
  c32P50Ratio: 2,
  /** CPU ms per plain turn (300 ms model, concurrency 32) of the worker process, all threads. */
  workerCpuMsPerTurn: 12,
  /** …and of the Temporal dev server. */
  temporalCpuMsPerTurn: 30,
  /** 0 ms model, concurrency 1, plain reply: durable p50 end to end, ms. */
  zeroModelC1P50Ms: 60,
  /** Worker RSS peak with 64 turns in flight, MiB. */
  workerRssMiB: 300,
  /** History of one turn at the maximum iteration cap (50 steps, 16 KB tool results), MB. */
  maxCapHistoryMB: 5,
} as const;
