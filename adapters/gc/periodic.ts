/**
 * Collecting when the disk fills: every `checkEveryMs` the free space of the store's file system is
 * read, and a collection runs when it is under the threshold. Never two at once: a check that finds
 * one running does nothing.
 */
import { statfs } from 'node:fs/promises';

/** Free and total bytes of a file system. */
export interface FreeSpace {
  readonly freeBytes: number;
  readonly totalBytes: number;
}

/** The free space of the file system holding `dir` (space an unprivileged user may use). */
export async function freeSpaceOf(dir: string): Promise<FreeSpace> {
  const stats = await statfs(dir);
  return { freeBytes: stats.bavail * stats.bsize, totalBytes: stats.blocks * stats.bsize };
}

export interface PeriodicGcOptions<T> {
  readonly checkEveryMs: number;
  /** Collect when fewer bytes than this are free… */
  readonly minFreeBytes?: number;
  /** …or when less than this share (0–100) of the file system is free. */
  readonly minFreePercent?: number;
  /** Reads the free space (`freeSpaceOf(storeDir)` in production; a fake in tests). */
  readonly freeSpace: () => Promise<FreeSpace>;
  /** Runs one collection. */
  readonly collect: () => Promise<T>;
  /** Told of each collection's outcome, and of failures to read the free space. */
  readonly onResult?: (result: { ok: true; value: T } | { ok: false; error: unknown }) => void;
}

/** A running scheduler. */
export interface PeriodicGc {
  /** Checks now (as the timer would); resolves once any collection it started has ended. */
  check(): Promise<void>;
  /** Stops checking and waits for a running collection to end. */
  stop(): Promise<void>;
}

/** True when `space` is under either threshold. */
export function isLow(
  space: FreeSpace,
  options: { minFreeBytes?: number; minFreePercent?: number },
): boolean {
  if (options.minFreeBytes !== undefined && space.freeBytes < options.minFreeBytes) return true;
  const percent = space.totalBytes > 0 ? (100 * space.freeBytes) / space.totalBytes : 100;
  return options.minFreePercent !== undefined && percent < options.minFreePercent;
}

export function startPeriodicGc<T>(options: PeriodicGcOptions<T>): PeriodicGc {
  if (options.minFreeBytes === undefined && options.minFreePercent === undefined) {
    throw new Error('startPeriodicGc needs minFreeBytes or minFreePercent');
  }
  const report = options.onResult ?? (() => undefined);
  let running: Promise<void> | undefined;
  let stopped = false;

  async function run(): Promise<void> {
    let low: boolean;
    try {
      low = isLow(await options.freeSpace(), options);
    } catch (error) {
      report({ ok: false, error });
      return;
    }
    if (!low || stopped) return;
    try {
      report({ ok: true, value: await options.collect() });
    } catch (error) {
      report({ ok: false, error });
    }
  }

  function check(): Promise<void> {
    if (running || stopped) return running ?? Promise.resolve();
    running = run().finally(() => {
      running = undefined;
    });
    return running;
  }

  const timer = setInterval(() => void check(), options.checkEveryMs);
  timer.unref();
  return {
    check,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
