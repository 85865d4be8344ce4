/**
 * A record's own value for a key that comes from outside (a spec, channel, branch or system name).
 * Indexing a plain object reads its prototype too: a spec named `constructor` or a branch named
 * `toString` would find a function where nothing was recorded.
 */
export function own<V>(record: Readonly<Record<string, V>>, key: string): V | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
