/**
 * A map that forgets its oldest entries past a capacity: for facts the ledger can always recompute
 * from the log but would rather not, without letting memory grow with the number of streams.
 */
export interface BoundedCache<K, V> {
  get(key: K): V | undefined;
  set(key: K, value: V): void;
}

export function createBoundedCache<K, V>(capacity: number): BoundedCache<K, V> {
  const entries = new Map<K, V>();
  return {
    get: (key) => entries.get(key),
    set(key, value) {
      entries.delete(key);
      entries.set(key, value);
      // A Map iterates in insertion order, so its first key is the least recently set.
      if (entries.size > capacity) entries.delete(entries.keys().next().value as K);
    },
  };
}
