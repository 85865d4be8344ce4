/**
 * Snapshots read ahead: loading starts at once, one projection after another in the order given (the
 * runner's order), and the runner's first `load` of each takes what was read. The server starts this
 * before its embedded ledger has opened its log (1.4 s at a million events, on the ledger's own
 * thread), so the two overlap instead of following each other.
 */
import type { Projection } from '../../projections/runtime/projection.ts';
import type { Snapshot, SnapshotStore } from '../../projections/runtime/snapshot-store.ts';

export function preloadSnapshots(
  store: SnapshotStore,
  projections: readonly Pick<Projection<unknown>, 'name' | 'repeatsStrings'>[],
): SnapshotStore {
  const ahead = new Map<string, Promise<Snapshot | undefined>>();
  let previous: Promise<unknown> = Promise.resolve();
  for (const { name, repeatsStrings } of projections) {
    const loading = previous.then(() => store.load(name, { shareStrings: repeatsStrings === true }));
    // Whoever asks for it sees a failure; nobody may ask (the server failed to start).
    loading.catch(() => undefined);
    ahead.set(name, loading);
    previous = loading.catch(() => undefined);
  }
  return {
    load(projection, options) {
      const loading = ahead.get(projection);
      if (!loading) return store.load(projection, options);
      // Only the first load: a later one must see what has been saved since.
      ahead.delete(projection);
      return loading;
    },
    save: (snapshot) => store.save(snapshot),
  };
}
