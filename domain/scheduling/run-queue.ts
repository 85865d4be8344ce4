/**
 * The dispatcher's run queue: every queued build, which of them are blocked by dependencies or
 * deferred by a backoff, and the fair choice of the next build for a worker.
 *
 * Dependencies: a dependency blocks its dependents until `markSucceeded(dependency)` has been
 * called, before or after they were added; the queue remembers every success it was told of.
 * So the index can be rebuilt at start from the build read state in any order — add the queued
 * builds and declare the succeeded ones, interleaved however the state iterates — and it ends up
 * as if it had followed the events one by one. A dependency the queue was never told succeeded
 * (queued, running, failed, unknown) blocks.
 *
 * Time: `now` is a parameter and must not go back between calls; a deferred build released at
 * some `now` stays runnable.
 */
import { IndexedHeap } from './indexed-heap.ts';
import type { DoomedBuild, PickedBuild, QueuedBuild, RunningBySpec, WorkerSystems } from './queued-build.ts';
import { RunnableIndex } from './runnable-index.ts';

/** The run queue's operations; see `createRunQueue`. */
export interface RunQueue {
  /**
   * Queues `build`, or replaces the queued build of the same path (more specifications want it,
   * a higher priority). A build that was declared succeeded is unfinished again: its queued
   * dependents are blocked again.
   */
  add(build: QueuedBuild): void;
  /** Takes a build out (dispatched or cancelled); `requeue` can bring it back. Returns it, if it was queued. */
  remove(drvPath: string): QueuedBuild | undefined;
  /**
   * Records that `drvPath` succeeded (built or substituted), taking it out of the queue if it was
   * there. Returns the queued builds it was the last missing dependency of, by path; some of them
   * may still wait for their `notBefore`.
   */
  markSucceeded(drvPath: string): QueuedBuild[];
  /**
   * Records that `root` failed or was cancelled: takes it and every queued build that depends on it,
   * directly or not, out of the queue, and returns the latter by path, each naming `root`, so the
   * caller fails them with reason `dependency-failed`.
   */
  markFailed(root: string): DoomedBuild[];
  /**
   * Puts a queued build, or one taken out by `remove`, back in its place (its `queuedAt` is kept),
   * not to be dispatched before `notBefore`. False when the queue does not know the build.
   */
  requeue(drvPath: string, notBefore: number): boolean;
  /**
   * The build a worker should take now, or undefined; it stays queued until `remove`. Among the
   * runnable builds of the worker's systems (and `builtin`) whose `notBefore` has passed: the
   * highest priority; within it the specification with the fewest builds in `running`, ties going
   * to the one whose oldest build is oldest; that specification's oldest build.
   */
  next(worker: WorkerSystems, now: number, running: RunningBySpec): PickedBuild | undefined;
  /** The earliest `notBefore` still ahead of `now` among unblocked builds: when to call `next` again. */
  nextDeferredAt(now: number): number | undefined;
  /** How many builds are queued, runnable or not. */
  size(): number;
  has(drvPath: string): boolean;
  /** Counts by state, for metrics and logs. */
  counts(): { readonly queued: number; readonly runnable: number; readonly deferred: number };
}

interface Entry {
  build: QueuedBuild;
  /** The distinct dependencies, as registered in `dependents`. */
  readonly dependencies: readonly string[];
  /** Dependencies not declared succeeded yet. */
  missing: number;
  place: 'blocked' | 'deferred' | 'runnable';
}

export function createRunQueue(): RunQueue {
  const entries = new Map<string, Entry>();
  /** Queued builds by each of their dependencies. */
  const dependents = new Map<string, Set<string>>();
  const succeeded = new Set<string>();
  /** Builds taken out by `remove`, kept for `requeue` until they finish or are queued again. */
  const departed = new Map<string, QueuedBuild>();
  const runnable = new RunnableIndex();
  const deferred = new IndexedHeap<Entry>(
    (entry) => entry.build.drvPath,
    (a, b) =>
      a.build.notBefore! !== b.build.notBefore!
        ? a.build.notBefore! < b.build.notBefore!
        : a.build.drvPath < b.build.drvPath,
  );
  /** The latest `now` seen: builds deferred up to it have been released. */
  let clock = Number.NEGATIVE_INFINITY;

  function place(entry: Entry): void {
    const { notBefore } = entry.build;
    if (entry.missing > 0) entry.place = 'blocked';
    else if (notBefore !== undefined && notBefore > clock) {
      entry.place = 'deferred';
      deferred.push(entry);
    } else {
      entry.place = 'runnable';
      runnable.insert(entry.build);
    }
  }

  function unplace(entry: Entry): void {
    if (entry.place === 'deferred') deferred.delete(entry.build.drvPath);
    else if (entry.place === 'runnable') runnable.delete(entry.build);
    entry.place = 'blocked';
  }

  /** Forgets a queued build entirely: its place and its registration as a dependent. */
  function drop(entry: Entry): void {
    unplace(entry);
    for (const dependency of entry.dependencies) {
      const waiting = dependents.get(dependency);
      waiting?.delete(entry.build.drvPath);
      if (waiting?.size === 0) dependents.delete(dependency);
    }
    entries.delete(entry.build.drvPath);
  }

  function release(now: number): void {
    if (now > clock) clock = now;
    for (let first = deferred.peek(); first && first.build.notBefore! <= clock; first = deferred.peek()) {
      deferred.pop();
      first.place = 'runnable';
      runnable.insert(first.build);
    }
  }

  const byPath = (a: { drvPath: string }, b: { drvPath: string }) =>
    a.drvPath < b.drvPath ? -1 : a.drvPath > b.drvPath ? 1 : 0;

  function add(build: QueuedBuild): void {
    const { drvPath } = build;
    const existing = entries.get(drvPath);
    if (existing) drop(existing);
    departed.delete(drvPath);
    if (succeeded.delete(drvPath)) {
      for (const dependent of dependents.get(drvPath) ?? []) {
        const entry = entries.get(dependent)!;
        entry.missing += 1;
        if (entry.missing === 1) unplace(entry);
      }
    }
    const dependencies = [...new Set(build.dependencies)];
    const entry: Entry = { build, dependencies, missing: 0, place: 'blocked' };
    for (const dependency of dependencies) {
      if (!succeeded.has(dependency)) entry.missing += 1;
      let waiting = dependents.get(dependency);
      if (!waiting) {
        waiting = new Set();
        dependents.set(dependency, waiting);
      }
      waiting.add(drvPath);
    }
    entries.set(drvPath, entry);
    place(entry);
  }

  return {
    add,
    remove(drvPath) {
      const entry = entries.get(drvPath);
      if (!entry) return undefined;
      drop(entry);
      departed.set(drvPath, entry.build);
      return entry.build;
    },
    markSucceeded(drvPath) {
      const own = entries.get(drvPath);
      if (own) drop(own);
      departed.delete(drvPath);
      if (succeeded.has(drvPath)) return [];
      succeeded.add(drvPath);
      const unblocked: QueuedBuild[] = [];
      for (const dependent of dependents.get(drvPath) ?? []) {
        const entry = entries.get(dependent)!;
        entry.missing -= 1;
        if (entry.missing > 0) continue;
        place(entry);
        unblocked.push(entry.build);
      }
      return unblocked.sort(byPath);
    },
    markFailed(root) {
      const own = entries.get(root);
      if (own) drop(own);
      departed.delete(root);
      succeeded.delete(root);
      const doomed: DoomedBuild[] = [];
      const seen = new Set<string>([root]);
      const pending = [root];
      for (let failed = pending.pop(); failed !== undefined; failed = pending.pop()) {
        for (const dependent of dependents.get(failed) ?? []) {
          if (seen.has(dependent)) continue;
          seen.add(dependent);
          doomed.push({ drvPath: dependent, root });
          pending.push(dependent);
        }
      }
      for (const { drvPath } of doomed) drop(entries.get(drvPath)!);
      return doomed.sort(byPath);
    },
    requeue(drvPath, notBefore) {
      const build = entries.get(drvPath)?.build ?? departed.get(drvPath);
      if (!build) return false;
      add({ ...build, notBefore });
      return true;
    },
    next(worker, now, running) {
      release(now);
      return runnable.pick(worker.systems, running);
    },
    nextDeferredAt(now) {
      release(now);
      return deferred.peek()?.build.notBefore;
    },
    size: () => entries.size,
    has: (drvPath) => entries.has(drvPath),
    counts: () => ({ queued: entries.size, runnable: runnable.size, deferred: deferred.size }),
  };
}
