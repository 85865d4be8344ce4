/**
 * Closed-loop load: N callers each issue one call after another for a fixed time. A warm-up first
 * lets JIT compilation and connection setup settle; only calls that complete inside the measured
 * window count, so the figure is units per second of wall time in that window.
 */

export interface LoadOptions {
  readonly callers: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** One call by `caller` (0-based); resolves with how many units (events, rows) it completed. */
  readonly call: (caller: number) => Promise<number>;
}

export interface LoadResult {
  readonly units: number;
  readonly calls: number;
  readonly seconds: number;
  readonly unitsPerSecond: number;
  readonly latencyMs: LatencySummary;
}

export interface LatencySummary {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export async function runClosedLoop(options: LoadOptions): Promise<LoadResult> {
  const measureFrom = performance.now() + options.warmupMs;
  const measureUntil = measureFrom + options.durationMs;
  const latencies: number[] = [];
  let units = 0;

  const caller = async (index: number) => {
    while (performance.now() < measureUntil) {
      const started = performance.now();
      const done = await options.call(index);
      const finished = performance.now();
      if (finished >= measureFrom && finished <= measureUntil) {
        units += done;
        latencies.push(finished - started);
      }
    }
  };
  await Promise.all(Array.from({ length: options.callers }, (_, index) => caller(index)));

  const seconds = options.durationMs / 1000;
  return {
    units,
    calls: latencies.length,
    seconds,
    unitsPerSecond: units / seconds,
    latencyMs: summarize(latencies),
  };
}

export function summarize(latencies: number[]): LatencySummary {
  const sorted = latencies.toSorted((a, b) => a - b);
  const at = (quantile: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(quantile * sorted.length))] ?? 0;
  return { p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? 0 };
}

export function describeLatency(latency: LatencySummary): string {
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  return `latency per call p50 ${ms(latency.p50)}, p99 ${ms(latency.p99)}, max ${ms(latency.max)}`;
}
