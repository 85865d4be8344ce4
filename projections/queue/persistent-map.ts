/**
 * A persistent hash map made of plain JSON (arrays and objects), so that read models holding hundreds
 * of thousands of entries stay snapshot-able with `JSON.stringify` and still change in O(1) per event.
 *
 * Why not a record updated with immer: immer copies every object on the path it changes, and a record
 * of 500,000 builds copied per event is far from O(1). Here a key's 32-bit hash picks a path through
 * four levels of 32-slot arrays to a small leaf object; a change copies four short arrays and one leaf,
 * and shares everything else with the previous version.
 *
 * Lives under `queue/` because that read model needed it first; `workers/` and `metrics/` import it.
 */

const bits = 5;
const width = 1 << bits;
const depth = 4;

/** A leaf: the entries whose hashes share a path (usually one or two). */
type Leaf<V> = Readonly<Record<string, V>>;
/** A branch: `width` slots, `null` where no key goes. */
type Branch = readonly (Branch | Leaf<unknown> | null)[];

/** An immutable map from strings to `V`, as plain JSON. Read it only through the functions below. */
export interface PMap<V> {
  readonly size: number;
  /** Phantom member so that maps of different values do not mix. */
  readonly root: Branch | null;
  readonly __value?: V;
}

/** The empty map. */
export function emptyMap<V>(): PMap<V> {
  return { size: 0, root: null };
}

/** FNV-1a over UTF-16 code units. */
function hashOf(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function slotAt(hash: number, level: number): number {
  return (hash >>> (level * bits)) & (width - 1);
}

/** The value at `key`, or `undefined`. */
export function getIn<V>(map: PMap<V>, key: string): V | undefined {
  let node: Branch | Leaf<unknown> | null = map.root;
  if (node === null) return undefined;
  const hash = hashOf(key);
  for (let level = 0; level < depth; level++) {
    node = (node as Branch)[slotAt(hash, level)] ?? null;
    if (node === null) return undefined;
  }
  const leaf = node as Leaf<V>;
  return Object.hasOwn(leaf, key) ? leaf[key] : undefined;
}

/** True when the map has `key`. */
export function hasIn(map: PMap<unknown>, key: string): boolean {
  return getIn(map, key) !== undefined;
}

function emptyBranch(): (Branch | Leaf<unknown> | null)[] {
  return new Array(width).fill(null);
}

/** A new leaf or branch at `level` after setting (or, with `remove`, deleting) one key. */
function change(
  node: Branch | Leaf<unknown> | null,
  level: number,
  hash: number,
  key: string,
  value: unknown,
  remove: boolean,
  sizeDelta: { delta: number },
): Branch | Leaf<unknown> | null {
  if (level === depth) {
    const leaf = (node ?? {}) as Leaf<unknown>;
    const had = Object.hasOwn(leaf, key);
    if (remove) {
      if (!had) return node;
      sizeDelta.delta = -1;
      const rest: Record<string, unknown> = {};
      let any = false;
      for (const other in leaf) {
        if (other !== key) {
          rest[other] = leaf[other];
          any = true;
        }
      }
      return any ? rest : null;
    }
    if (had && leaf[key] === value) return node;
    if (!had) sizeDelta.delta = 1;
    return { ...leaf, [key]: value };
  }
  if (node === null && remove) return null;
  const branch = (node ?? emptyBranch()) as Branch;
  const index = slotAt(hash, level);
  const child = branch[index] ?? null;
  const next = change(child, level + 1, hash, key, value, remove, sizeDelta);
  if (next === child && node !== null) return node;
  const copy = branch.slice();
  copy[index] = next;
  if (next === null && copy.every((slot) => slot === null)) return null;
  return copy;
}

/** The map with `key` set to `value` (the same map when it already held exactly that value). */
export function setIn<V>(map: PMap<V>, key: string, value: V): PMap<V> {
  const size = { delta: 0 };
  const root = change(map.root, 0, hashOf(key), key, value, false, size) as Branch | null;
  return root === map.root ? map : { size: map.size + size.delta, root };
}

/** The map without `key` (the same map when it had none). */
export function deleteIn<V>(map: PMap<V>, key: string): PMap<V> {
  const size = { delta: 0 };
  const root = change(map.root, 0, hashOf(key), key, undefined, true, size) as Branch | null;
  return root === map.root ? map : { size: map.size + size.delta, root };
}

/** Every entry, in hash order (stable for a given set of keys, not insertion order). */
export function* entriesOf<V>(map: PMap<V>): Generator<[string, V]> {
  function* walk(node: Branch | Leaf<unknown> | null, level: number): Generator<[string, V]> {
    if (node === null) return;
    if (level === depth) {
      for (const key in node as Leaf<V>) yield [key, (node as Leaf<V>)[key]!];
      return;
    }
    for (const child of node as Branch) yield* walk(child, level + 1);
  }
  yield* walk(map.root, 0);
}
