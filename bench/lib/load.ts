/**
 * The bounded load loop: `concurrency` lanes take turn numbers until `count` have started or
 * `timeCapMs` has passed (lanes then finish what they started and stop). Every call is timed; a
 * failed call is counted and its first error kept, never retried.
 */
export interface LoadOptions {
  count: number;
  concurrency: number;
  timeCapMs: number;
  /** One unit of work, e.g. one turn; `i` is 0-based and unique within the run. */
  task: (i: number) => Promise<void>;
}

export interface LoadResult {
  /** Milliseconds per successful call, in completion order. */
  latenciesMs: number[];
  completed: number;
  failed: number;
  firstError?: string;
  wallMs: number;
  /** True when the time cap stopped the run before `count` calls started. */
  capped: boolean;
}

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const latenciesMs: number[] = [];
  let next = 0;
  let failed = 0;
  let firstError: string | undefined;
  const t0 = performance.now();
  const deadline = t0 + opts.timeCapMs;
  let capped = false;

  const lane = async () => {
    for (;;) {
      if (next >= opts.count) return;
      if (performance.now() > deadline) {
        capped = true;
        return;
      }
      const i = next++;
      const started = performance.now();
      try {
        await opts.task(i);
        latenciesMs.push(performance.now() - started);
      } catch (err) {
        failed++;
        firstError ??= err instanceof Error ? err.message : String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency) }, lane));
  return {
    latenciesMs,
    completed: latenciesMs.length,
    failed,
    firstError,
    wallMs: performance.now() - t0,
    capped,
  };
}
