/**
 * Where projection snapshots are kept between runs: a port, so the runtime stays free of I/O. The file
 * adapter keeps one file of JSON records per projection in the data directory.
 */

/** A projection's state as of a position in `$all`. */
export interface Snapshot<S = unknown> {
  readonly projection: string;
  readonly version: number;
  /** The position of the last event folded into `state`; `-1` before any event. */
  readonly position: number;
  /**
   * Which event store the state was folded from (`storeIdentity`): a snapshot of another store's
   * events is no state of this one's. Absent in snapshots saved before it was kept.
   */
  readonly store?: string;
  readonly state: S;
}

export interface LoadOptions {
  /** Give equal strings of the state one copy (see `Projection.repeatsStrings`). */
  readonly shareStrings?: boolean;
  /**
   * What an unreadable snapshot (corrupt, truncated) gives: `undefined` by default, so that the runner
   * rebuilds from the events; `throw` for a reader that must tell it from a snapshot never saved.
   */
  readonly unreadable?: 'rebuild' | 'throw';
}

export interface SnapshotStore {
  /** The last snapshot saved for a projection, or `undefined` (never saved, or unreadable: rebuild). */
  load(projection: string, options?: LoadOptions): Promise<Snapshot | undefined>;
  /** Replaces the projection's snapshot atomically: a crash leaves the old one or the new one. */
  save(snapshot: Snapshot): Promise<void>;
}

/** Keeps snapshots in memory: for tests, and for a server that should always replay. */
export function createMemorySnapshotStore(): SnapshotStore & { readonly saved: Map<string, Snapshot> } {
  const saved = new Map<string, Snapshot>();
  return {
    saved,
    load: async (projection) => saved.get(projection),
    save: async (snapshot) => {
      saved.set(snapshot.projection, structuredClone(snapshot));
    },
  };
}
