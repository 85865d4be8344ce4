/**
 * Open-loop load at a fixed rate: one call every 1/rate seconds, issued on schedule whether or not the
 * earlier ones have answered, as requests reach a server from many independent users. A slow answer
 * therefore delays nothing that follows it, and a stall of the server shows up in every call it held.
 *
 * Why not autocannon's rate mode: each of its connections sends its quota for the second back to back
 * as soon as the second starts, then waits for the next one. At 1,000 requests/s over 10 connections
 * the server sees bursts of 10 requests at once, and the p99 measures queueing inside those bursts
 * (about ten times one request's service time) rather than the route at that rate.
 *
 * A call's latency runs from the moment it is issued to its answer; how late the client's own timer
 * issued it is reported apart (`lateness`), so that a busy client is told from a slow server.
 */
import { type LatencySummary, summarize } from './load.ts';

export interface OpenLoopOptions {
  /** Calls per second. */
  readonly rate: number;
  /** Calls issued in the first `warmupMs` are made but not recorded. */
  readonly warmupMs: number;
  readonly durationMs: number;
  /** One call; rejects when it fails. */
  readonly call: () => Promise<void>;
}

export interface OpenLoopResult {
  /** Calls issued in the measured window that answered. */
  readonly calls: number;
  /** Calls in the measured window that failed, and the first failure's message. */
  readonly failures: number;
  readonly firstFailure?: string;
  /** From issue to answer, in ms. */
  readonly latencyMs: LatencySummary;
  /** How long after its slot the client issued each measured call, in ms. */
  readonly latenessMs: LatencySummary;
}

/** The slots due at `now`: indexes `from` up to (excluding) the returned one, none at or past `end`. */
export function dueSlots(start: number, interval: number, from: number, now: number, end: number): number {
  let next = from;
  while (start + next * interval <= now && start + next * interval < end) next += 1;
  return next;
}

export async function runOpenLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  if (!(options.rate > 0)) throw new Error(`the rate must be positive, not ${options.rate}`);
  const interval = 1000 / options.rate;
  const start = performance.now();
  const measureFrom = start + options.warmupMs;
  const end = measureFrom + options.durationMs;
  const latencies: number[] = [];
  const lateness: number[] = [];
  const pending = new Set<Promise<void>>();
  let failures = 0;
  let firstFailure: string | undefined;

  const issue = (slot: number) => {
    const issued = performance.now();
    const measured = slot >= measureFrom;
    if (measured) lateness.push(issued - slot);
    const call = options.call().then(
      () => {
        if (measured) latencies.push(performance.now() - issued);
      },
      (error: unknown) => {
        if (!measured) return;
        failures += 1;
        firstFailure ??= error instanceof Error ? error.message : String(error);
      },
    );
    pending.add(call);
    void call.finally(() => pending.delete(call));
  };

  await new Promise<void>((resolve) => {
    let next = 0;
    const tick = () => {
      const due = dueSlots(start, interval, next, performance.now(), end);
      for (; next < due; next++) issue(start + next * interval);
      const slot = start + next * interval;
      if (slot >= end) resolve();
      else setTimeout(tick, Math.max(0, slot - performance.now()));
    };
    tick();
  });
  await Promise.all(pending);
  return {
    calls: latencies.length,
    failures,
    ...(firstFailure === undefined ? {} : { firstFailure }),
    latencyMs: summarize(latencies),
    latenessMs: summarize(lateness),
  };
}
