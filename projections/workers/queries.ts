/**
 * Questions the API asks of the workers read model. Utilisation is measured up to `now`, the time of
 * the latest event folded in unless the caller gives one.
 */

import { entriesOf, getIn } from '../shared/persistent-map.ts';
import { isoOf, msOf } from '../shared/stored-time.ts';
import { type Connection, recentCapacity, type WorkerRecord, type WorkersState } from './state.ts';

/** What a worker is doing for the farm, most telling first: removed, drained, else its connection. */
export type WorkerStatus = Connection | 'drained' | 'removed';

/** Busy time in one window ending at `now`. */
export interface Utilisation {
  readonly windowMs: number;
  /** Time during which at least one attempt ran (overlapping attempts count once). */
  readonly busyMs: number;
  /** `busyMs / windowMs`, between 0 and 1. */
  readonly ratio: number;
  /** Attempt time summed over attempts: above `windowMs` when attempts ran side by side. */
  readonly attemptMs: number;
  /** False when the ring of recent attempts may have dropped some that fell in the window. */
  readonly complete: boolean;
}

export interface CurrentAttemptView {
  readonly drvPath: string;
  readonly attemptId: string;
  readonly attempt: number;
  readonly dispatchedAt: string;
  readonly startedAt?: string;
}

export interface WorkerView {
  readonly name: string;
  readonly status: WorkerStatus;
  readonly connection: Connection;
  readonly drained: boolean;
  readonly systems: readonly string[];
  readonly cores: number;
  readonly memoryBytes: number;
  readonly diskBytes: number;
  readonly version: string;
  /** Attempts it runs now, oldest dispatch first. */
  readonly current: readonly CurrentAttemptView[];
  readonly lastContact: string;
  readonly utilisation: { readonly lastHour: Utilisation; readonly lastDay: Utilisation };
}

const hourMs = 3_600_000;
const dayMs = 24 * hourMs;

function statusOf(worker: WorkerRecord): WorkerStatus {
  if (worker.removed) return 'removed';
  if (worker.drained) return 'drained';
  return worker.connection;
}

/** Busy time of `worker` within `[now - windowMs, now]`; running attempts count up to `now`. */
export function utilisation(worker: WorkerRecord, now: number, windowMs: number): Utilisation {
  const from = now - windowMs;
  const running = Object.values(worker.current).flatMap((a) =>
    a.startedAt === undefined ? [] : [[a.startedAt, now] as const],
  );
  const clipped = [...worker.recent, ...running]
    .map(([start, end]) => [Math.max(start, from), Math.min(end, now)] as const)
    .filter(([start, end]) => end > start)
    .sort((a, b) => a[0] - b[0]);
  let busyMs = 0;
  let attemptMs = 0;
  let reach = from;
  for (const [start, end] of clipped) {
    attemptMs += end - start;
    if (end > reach) {
      busyMs += end - Math.max(start, reach);
      reach = end;
    }
  }
  const oldest = worker.recent[0];
  const complete = worker.recent.length < recentCapacity || (oldest !== undefined && oldest[0] <= from);
  return { windowMs, busyMs, ratio: windowMs > 0 ? busyMs / windowMs : 0, attemptMs, complete };
}

function view(worker: WorkerRecord, now: number): WorkerView {
  const current = Object.values(worker.current)
    .sort((a, b) => a.dispatchedAt - b.dispatchedAt || (a.drvPath < b.drvPath ? -1 : 1))
    .map((a) => ({
      drvPath: a.drvPath,
      attemptId: a.attemptId,
      attempt: a.attempt,
      dispatchedAt: isoOf(a.dispatchedAt),
      ...(a.startedAt === undefined ? {} : { startedAt: isoOf(a.startedAt) }),
    }));
  return {
    name: worker.name,
    status: statusOf(worker),
    connection: worker.connection,
    drained: worker.drained,
    systems: worker.systems,
    cores: worker.cores,
    memoryBytes: worker.memoryBytes,
    diskBytes: worker.diskBytes,
    version: worker.version,
    current,
    lastContact: isoOf(worker.lastContact),
    utilisation: { lastHour: utilisation(worker, now, hourMs), lastDay: utilisation(worker, now, dayMs) },
  };
}

export interface WorkerQueryOptions {
  /** The end of the utilisation windows; the latest event's time when absent. */
  readonly now?: string | number;
}

/** Every worker the farm knows (removed ones included, with status `removed`), by name. */
export function listWorkers(state: WorkersState, options: WorkerQueryOptions = {}): WorkerView[] {
  const now = options.now === undefined ? state.lastAt : msOf(options.now);
  return Array.from(entriesOf(state.workers), ([, worker]) => view(worker, now)).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
}

/** One worker, or `undefined` when the farm never heard of it. */
export function getWorker(
  state: WorkersState,
  name: string,
  options: WorkerQueryOptions = {},
): WorkerView | undefined {
  const worker = getIn(state.workers, name);
  const now = options.now === undefined ? state.lastAt : msOf(options.now);
  return worker && view(worker, now);
}

/**
 * How many workers could take a build of each system now: connected, neither drained nor removed.
 * Every such worker builds `builtin` derivations, whatever systems it names.
 */
export function workersBySystem(state: WorkersState): Map<string, number> {
  const counts = new Map<string, number>();
  for (const [, worker] of entriesOf(state.workers)) {
    if (statusOf(worker) !== 'connected') continue;
    for (const system of new Set([...worker.systems, 'builtin']))
      counts.set(system, (counts.get(system) ?? 0) + 1);
  }
  return counts;
}
