/**
 * A persistent hash map made of plain JSON (arrays and objects), so that read models holding hundreds
 * of thousands of entries stay snapshot-able with `JSON.stringify` and still change in O(1) per event.
 *
 * Why not a record updated with immer: immer copies every object on the path it changes, and a record
 * of 500,000 builds copied per event is far from O(1). Here a key's 32-bit hash picks a path through
 * 32-slot arrays to a small leaf object (at most 8 keys, split into a branch when it grows past that);
 * a change copies the arrays on its path (about log32(n / 8) of them) and one leaf, and shares
 * everything else with the previous version. A small map is a single small object.
 *
 * Lives under `queue/` because that read model needed it first; `workers/` and `metrics/` import it.
 */

const bits = 5;
const width = 1 << bits;
/** Levels of branches at most (30 bits of hash); a leaf below the last one holds every collision. */
const maxDepth = 6;
/** A leaf splits into a branch past this many keys, so small maps stay one small object. */
const leafLimit = 8;

/** A leaf: the entries whose hashes share a path so far, as parallel arrays (a fixed, fast shape). */
interface Leaf {
  readonly k: readonly string[];
  readonly v: readonly unknown[];
}
/** A branch: `width` slots, `null` where no key goes. */
type Branch = readonly (Node | null)[];
type Node = Branch | Leaf;

/** An immutable map from strings to `V`, as plain JSON. Read it only through the functions below. */
export interface PMap<V> {
  readonly size: number;
  readonly root: Node | null;
  /** Phantom member so that maps of different values do not mix. */
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
  let node: Node | null = map.root;
  if (node === null) return undefined;
  if (Array.isArray(node)) {
    const hash = hashOf(key);
    for (let level = 0; Array.isArray(node); level++) {
      node = (node as Branch)[slotAt(hash, level)] ?? null;
      if (node === null) return undefined;
    }
  }
  const leaf = node as Leaf;
  const index = leaf.k.indexOf(key);
  return index < 0 ? undefined : (leaf.v[index] as V);
}

/** True when the map has `key`. */
export function hasIn(map: PMap<unknown>, key: string): boolean {
  return getIn(map, key) !== undefined;
}

/** A leaf too large for its level becomes a branch of smaller leaves. */
function split(leaf: Leaf, level: number): Branch {
  const branch: ({ k: string[]; v: unknown[] } | null)[] = new Array(width).fill(null);
  leaf.k.forEach((key, i) => {
    const index = slotAt(hashOf(key), level);
    const child = branch[index] ?? { k: [], v: [] };
    child.k.push(key);
    child.v.push(leaf.v[i]);
    branch[index] = child;
  });
  return branch;
}

/** A new node at `level` after setting (or, with `remove`, deleting) one key. */
function change(
  node: Node | null,
  level: number,
  hash: number,
  key: string,
  value: unknown,
  remove: boolean,
  sizeDelta: { delta: number },
): Node | null {
  if (node === null) {
    if (remove) return null;
    sizeDelta.delta = 1;
    return { k: [key], v: [value] };
  }
  if (!Array.isArray(node)) {
    const leaf = node as Leaf;
    const index = leaf.k.indexOf(key);
    if (remove) {
      if (index < 0) return node;
      sizeDelta.delta = -1;
      if (leaf.k.length === 1) return null;
      return { k: leaf.k.toSpliced(index, 1), v: leaf.v.toSpliced(index, 1) };
    }
    if (index >= 0) return leaf.v[index] === value ? node : { k: leaf.k, v: leaf.v.with(index, value) };
    sizeDelta.delta = 1;
    const next = { k: [...leaf.k, key], v: [...leaf.v, value] };
    return next.k.length > leafLimit && level < maxDepth ? split(next, level) : next;
  }
  const branch = node as Branch;
  const index = slotAt(hash, level);
  const child = branch[index] ?? null;
  const next = change(child, level + 1, hash, key, value, remove, sizeDelta);
  if (next === child) return node;
  const copy = branch.slice();
  copy[index] = next;
  if (next === null && copy.every((slot) => slot === null)) return null;
  return copy;
}

/** The map with `key` set to `value` (the same map when it already held exactly that value). */
export function setIn<V>(map: PMap<V>, key: string, value: V): PMap<V> {
  const size = { delta: 0 };
  const root = change(map.root, 0, Array.isArray(map.root) ? hashOf(key) : 0, key, value, false, size);
  return root === map.root ? map : { size: map.size + size.delta, root };
}

/** The map without `key` (the same map when it had none). */
export function deleteIn<V>(map: PMap<V>, key: string): PMap<V> {
  if (map.root === null) return map;
  const size = { delta: 0 };
  const root = change(map.root, 0, Array.isArray(map.root) ? hashOf(key) : 0, key, undefined, true, size);
  return root === map.root ? map : { size: map.size + size.delta, root };
}

/** Every entry, in hash order (stable for a given set of keys, not insertion order). */
export function* entriesOf<V>(map: PMap<V>): Generator<[string, V]> {
  function* walk(node: Node | null): Generator<[string, V]> {
    if (node === null) return;
    if (!Array.isArray(node)) {
      const leaf = node as Leaf;
      for (let i = 0; i < leaf.k.length; i++) yield [leaf.k[i]!, leaf.v[i] as V];
      return;
    }
    for (const child of node as Branch) yield* walk(child);
  }
  yield* walk(map.root);
}
