/**
 * Which paths a collection removes, and in what order. Live: the closure (references, followed
 * transitively) of the roots and of every path younger than the grace period. Garbage: every other
 * valid path. Order: a path is removed only after every garbage path that refers to it (so a crash
 * never leaves a registered path whose reference is gone), and among those ready, oldest first.
 */
import type { PathRecord } from './gc-store.ts';

/** The garbage of one collection, handed out in removal order. */
export interface CollectionPlan {
  /** Valid paths kept. */
  readonly liveCount: number;
  /** Garbage paths and bytes at planning time. */
  readonly garbageCount: number;
  readonly garbageBytes: number;
  /**
   * The next paths to remove: at most `maxPaths`, together at most `maxBytes`. Empty when nothing is
   * left, or when the next path in order would not fit in `maxBytes` (a byte limit stops the
   * collection rather than skipping ahead, so "oldest first" holds).
   */
  next(maxPaths: number, maxBytes: number): PathRecord[];
  /** Keeps `paths` and their closure (new paths or pins that appeared during the collection). */
  keep(paths: Iterable<string>, records?: Iterable<PathRecord>): void;
}

/** A binary min-heap of records by registration time, then path. */
function createHeap() {
  const items: PathRecord[] = [];
  const less = (a: PathRecord, b: PathRecord) =>
    a.registeredAt < b.registeredAt || (a.registeredAt === b.registeredAt && a.path < b.path);
  const swap = (i: number, j: number) => {
    const item = items[i]!;
    items[i] = items[j]!;
    items[j] = item;
  };
  return {
    get size() {
      return items.length;
    },
    peek: () => items[0],
    push(item: PathRecord) {
      items.push(item);
      for (let i = items.length - 1; i > 0; ) {
        const parent = (i - 1) >> 1;
        if (!less(items[i]!, items[parent]!)) break;
        swap(i, parent);
        i = parent;
      }
    },
    pop(): PathRecord | undefined {
      const top = items[0];
      const last = items.pop();
      if (items.length > 0 && last) {
        items[0] = last;
        for (let i = 0; ; ) {
          const left = 2 * i + 1;
          const right = left + 1;
          let smallest = i;
          if (left < items.length && less(items[left]!, items[smallest]!)) smallest = left;
          if (right < items.length && less(items[right]!, items[smallest]!)) smallest = right;
          if (smallest === i) break;
          swap(i, smallest);
          i = smallest;
        }
      }
      return top;
    },
  };
}

/**
 * Plans a collection over `records` (every valid path): `roots` and paths registered after
 * `youngerThan` (ms since the epoch) are kept with their closures.
 */
export function planCollection(
  records: readonly PathRecord[],
  roots: Iterable<string>,
  youngerThan: number,
): CollectionPlan {
  const byPath = new Map<string, PathRecord>();
  for (const record of records) byPath.set(record.path, record);
  const live = new Set<string>();

  function mark(paths: Iterable<string>): void {
    const stack = [...paths];
    for (let path = stack.pop(); path !== undefined; path = stack.pop()) {
      if (live.has(path)) continue;
      const record = byPath.get(path);
      if (!record) continue; // a root that is not valid keeps nothing
      live.add(path);
      for (const reference of record.references) if (!live.has(reference)) stack.push(reference);
    }
  }
  mark(roots);
  mark(records.filter((record) => record.registeredAt > youngerThan).map((record) => record.path));

  const referrers = new Map<string, number>();
  let garbageBytes = 0;
  const garbage = records.filter((record) => !live.has(record.path));
  for (const record of garbage) {
    garbageBytes += record.bytes;
    for (const reference of record.references) {
      if (reference !== record.path) referrers.set(reference, (referrers.get(reference) ?? 0) + 1);
    }
  }
  const ready = createHeap();
  for (const record of garbage) if (!referrers.has(record.path)) ready.push(record);

  return {
    liveCount: live.size,
    garbageCount: garbage.length,
    garbageBytes,
    next(maxPaths, maxBytes) {
      const taken: PathRecord[] = [];
      let bytes = 0;
      while (taken.length < maxPaths && ready.size > 0) {
        const record = ready.peek()!;
        if (live.has(record.path)) {
          ready.pop();
          continue;
        }
        if (bytes + record.bytes > maxBytes) break;
        ready.pop();
        taken.push(record);
        bytes += record.bytes;
        for (const reference of record.references) {
          if (reference === record.path) continue;
          const left = (referrers.get(reference) ?? 1) - 1;
          referrers.set(reference, left);
          const referenced = byPath.get(reference);
          if (left === 0 && referenced && !live.has(reference)) ready.push(referenced);
        }
      }
      return taken;
    },
    keep(paths, newRecords = []) {
      for (const record of newRecords) byPath.set(record.path, record);
      mark(paths);
    },
  };
}
