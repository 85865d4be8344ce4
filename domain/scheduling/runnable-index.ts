/**
 * The builds that could be dispatched right now, shelved by system, then priority, then
 * specification, each specification's builds in a heap oldest first. A decision looks only at the
 * head of each specification's heap at the top priority of the worker's systems, so it costs
 * O(specifications × systems + log n) however many builds wait.
 */
import { anySystem } from '../build/build.ts';
import { IndexedHeap } from './indexed-heap.ts';
import type { PickedBuild, QueuedBuild, RunningBySpec } from './queued-build.ts';

/** One system's runnable builds. */
interface Shelf {
  /** The priorities that have builds, highest first: few distinct values, so a sorted array. */
  readonly priorities: number[];
  readonly byPriority: Map<number, Map<string, IndexedHeap<QueuedBuild>>>;
}

/** Older first; the path breaks ties so that every decision is reproducible. */
export const olderBuild = (a: QueuedBuild, b: QueuedBuild): boolean =>
  a.queuedAt !== b.queuedAt ? a.queuedAt < b.queuedAt : a.drvPath < b.drvPath;

/** The specifications a build is shared among; a build nobody names is its own group (''). */
export function sharesOf(build: QueuedBuild): readonly string[] {
  if (build.specs.length === 0) return [''];
  return build.specs.length === 1 ? build.specs : [...new Set(build.specs)];
}

export class RunnableIndex {
  readonly #shelves = new Map<string, Shelf>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  insert(build: QueuedBuild): void {
    let shelf = this.#shelves.get(build.system);
    if (!shelf) {
      shelf = { priorities: [], byPriority: new Map() };
      this.#shelves.set(build.system, shelf);
    }
    let bySpec = shelf.byPriority.get(build.priority);
    if (!bySpec) {
      bySpec = new Map();
      shelf.byPriority.set(build.priority, bySpec);
      insertDescending(shelf.priorities, build.priority);
    }
    for (const spec of sharesOf(build)) {
      let heap = bySpec.get(spec);
      if (!heap) {
        heap = new IndexedHeap<QueuedBuild>((queued) => queued.drvPath, olderBuild);
        bySpec.set(spec, heap);
      }
      heap.push(build);
    }
    this.#size += 1;
  }

  /** Takes `build` out of every heap it is in (the same record `insert` was given, or one equal in system, priority and specs). */
  delete(build: QueuedBuild): void {
    const shelf = this.#shelves.get(build.system);
    const bySpec = shelf?.byPriority.get(build.priority);
    if (!shelf || !bySpec) return;
    let found = false;
    for (const spec of sharesOf(build)) {
      const heap = bySpec.get(spec);
      if (!heap?.delete(build.drvPath)) continue;
      found = true;
      if (heap.size === 0) bySpec.delete(spec);
    }
    if (found) this.#size -= 1;
    if (bySpec.size > 0) return;
    shelf.byPriority.delete(build.priority);
    shelf.priorities.splice(shelf.priorities.indexOf(build.priority), 1);
    if (shelf.priorities.length === 0) this.#shelves.delete(build.system);
  }

  /**
   * The build a worker of `systems` should take: top priority first; within it the specification
   * with the fewest running builds, then the one whose oldest build is oldest; its oldest build.
   */
  pick(systems: readonly string[], running: RunningBySpec): PickedBuild | undefined {
    const shelves: Shelf[] = [];
    let top = Number.NEGATIVE_INFINITY;
    for (const system of systems.includes(anySystem) ? systems : [...systems, anySystem]) {
      const shelf = this.#shelves.get(system);
      const highest = shelf?.priorities[0];
      if (!shelf || highest === undefined || shelves.includes(shelf)) continue;
      shelves.push(shelf);
      if (highest > top) top = highest;
    }
    let best: { spec: string; build: QueuedBuild; running: number } | undefined;
    for (const shelf of shelves) {
      if (shelf.priorities[0] !== top) continue;
      for (const [spec, heap] of shelf.byPriority.get(top)!) {
        const build = heap.peek()!;
        const count = running.get(spec) ?? 0;
        if (!best || fairer(count, build, spec, best)) best = { spec, build, running: count };
      }
    }
    return best && { ...best.build, spec: best.spec };
  }
}

/** Fewer running first, then the older oldest build, then the name (a total order, for determinism). */
function fairer(
  running: number,
  build: QueuedBuild,
  spec: string,
  than: { spec: string; build: QueuedBuild; running: number },
): boolean {
  if (running !== than.running) return running < than.running;
  if (
    build !== than.build &&
    (build.queuedAt !== than.build.queuedAt || build.drvPath !== than.build.drvPath)
  )
    return olderBuild(build, than.build);
  return spec < than.spec;
}

function insertDescending(values: number[], value: number): void {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (values[middle]! > value) low = middle + 1;
    else high = middle;
  }
  values.splice(low, 0, value);
}
