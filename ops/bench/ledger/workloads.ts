/**
 * The shape of each ledger workload, defined once so the ledger and the PostgreSQL baseline run the
 * SAME load: same callers, batch sizes, page sizes and time bounds.
 *
 * `TALLY_BENCH_SCALE` (default 1) shrinks durations and the store size for a quick smoke run of the
 * harness itself, e.g. `TALLY_BENCH_SCALE=0.1`; figures from such a run are not comparable.
 */
const scale = Math.min(1, Math.max(0.01, Number(process.env.TALLY_BENCH_SCALE ?? 1) || 1));
const scaled = (value: number) => Math.round(value * scale);

/** Workload 1: many small writers, each appending one event per call to its own stream. */
export const singleAppends = {
  callers: 64,
  eventsPerCall: 1,
  warmupMs: scaled(1_000),
  durationMs: scaled(10_000),
} as const;

/** Workload 2: a few writers appending whole batches, as an evaluation does when it lists its jobs. */
export const batchAppends = {
  callers: 4,
  eventsPerCall: 100,
  warmupMs: scaled(1_000),
  durationMs: scaled(10_000),
} as const;

/** The store that workloads 3–5 run over, loaded with big batches from a few concurrent callers. */
export const storeLoad = {
  events: scaled(1_000_000),
  eventsPerCall: 500,
  callers: 4,
  timeLimitMs: scaled(150_000),
} as const;

/** Workloads 3 and 4: read `$all` from the start, in pages of this many events, for at most this long. */
export const fullRead = { pageSize: 1_000, timeLimitMs: scaled(30_000) } as const;

/** Workload 5: how long a restart may take before the bench gives up on it. */
export const restart = { timeLimitMs: 60_000 } as const;
