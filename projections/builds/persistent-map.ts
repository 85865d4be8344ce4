/**
 * An immutable map from strings to values made only of plain JSON (arrays, objects, null), so that a
 * read model of hundreds of thousands of builds is snapshotted with `JSON.stringify` and still changes
 * in O(1) per event.
 *
 * Why not a record updated with immer: a record is copied whole when one of its keys changes, and a
 * record of 500,000 builds copied per event is O(n). Here a key's 32-bit hash picks a path through four
 * levels of 32-slot arrays to a small leaf; a change copies four short arrays and one leaf and
 * shares everything else with the previous version.
 *
 * Read and write it only through the functions below; its layout is not part of any API.
 */

const bits = 5;
const width = 1 << bits;
const depth = 4;

/**
 * A leaf: the entries whose hashes share one path (usually a single one), as `[key, value, key,
 * value…]`; a short array is much cheaper to copy and search than an object keyed by long paths.
 */
type Leaf = unknown[];
/** A branch: `width` slots, `null` where nothing is stored. */
type Branch = (Branch | Leaf | null)[];

/** An immutable map from strings to `V`. */
export interface PMap<V> {
  readonly size: number;
  readonly root: readonly unknown[] | null;
  /** Never present: keeps maps of different values apart for the type checker. */
  readonly __values?: V;
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

function emptyBranch(): Branch {
  return new Array<null>(width).fill(null);
}

/** The value at `key`, or `undefined`. */
export function getIn<V>(map: PMap<V>, key: string): V | undefined {
  let node = map.root as Branch | Leaf | null;
  if (node === null) return undefined;
  const hash = hashOf(key);
  for (let level = 0; level < depth; level++) {
    node = (node as Branch)[slotAt(hash, level)] ?? null;
    if (node === null) return undefined;
  }
  const leaf = node as Leaf;
  for (let i = 0; i < leaf.length; i += 2) if (leaf[i] === key) return leaf[i + 1] as V;
  return undefined;
}

/** True when `key` has a value. */
export function hasIn(map: PMap<unknown>, key: string): boolean {
  return getIn(map, key) !== undefined;
}

/**
 * Writes into a map, copying each node once and then changing the copies in place: a batch of many
 * writes (the jobs of an evaluation chunk) costs one copy per node touched, not one per write.
 */
export interface MapEditor<V> {
  get(key: string): V | undefined;
  set(key: string, value: V): void;
}

/** `node` itself when this batch made it (it may change in place), else a copy the batch now owns. */
function own<T extends unknown[]>(node: T | null, owned: Set<object> | undefined, empty: () => T): T {
  if (node !== null && owned?.has(node)) return node;
  const copy = node === null ? empty() : (node.slice() as T);
  owned?.add(copy);
  return copy;
}

/** Sets `key` in the tree, copying the nodes on its path that `owned` does not hold (every one without a batch). */
function write<V>(
  map: { size: number; root: Branch | null },
  owned: Set<object> | undefined,
  key: string,
  value: V,
): void {
  const hash = hashOf(key);
  map.root = own(map.root, owned, emptyBranch);
  let branch = map.root;
  for (let level = 0; level < depth - 1; level++) {
    const slot = slotAt(hash, level);
    const child = own(branch[slot] as Branch | null, owned, emptyBranch);
    branch[slot] = child;
    branch = child;
  }
  const slot = slotAt(hash, depth - 1);
  const leaf = own(branch[slot] as Leaf | null, owned, (): Leaf => []);
  branch[slot] = leaf;
  for (let i = 0; i < leaf.length; i += 2) {
    if (leaf[i] === key) {
      leaf[i + 1] = value;
      return;
    }
  }
  leaf.push(key, value);
  map.size += 1;
}

/** The map after the writes `edit` makes; `map` itself is unchanged. */
export function editMap<V>(map: PMap<V>, edit: (editor: MapEditor<V>) => void): PMap<V> {
  const draft = { size: map.size, root: map.root as Branch | null };
  const owned = new Set<object>();
  let changed = false;
  edit({
    get: (key) => getIn({ size: draft.size, root: draft.root }, key) as V | undefined,
    set: (key, value) => {
      changed = true;
      write(draft, owned, key, value);
    },
  });
  return changed ? { size: draft.size, root: draft.root } : map;
}

/** The map with `key` set to `value`. */
export function setIn<V>(map: PMap<V>, key: string, value: V): PMap<V> {
  const draft = { size: map.size, root: map.root as Branch | null };
  write(draft, undefined, key, value);
  return { size: draft.size, root: draft.root };
}

/** The map with the value at `key` replaced by `change(value)`; unchanged when `key` is absent or `change` returns the same value. */
export function updateIn<V>(map: PMap<V>, key: string, change: (value: V) => V): PMap<V> {
  const before = getIn(map, key);
  if (before === undefined) return map;
  const after = change(before);
  return after === before ? map : setIn(map, key, after);
}

function* walk(node: Branch | Leaf | null, level: number): Generator<[string, unknown]> {
  if (node === null) return;
  if (level === depth) {
    const leaf = node as Leaf;
    for (let i = 0; i < leaf.length; i += 2) yield [leaf[i] as string, leaf[i + 1]];
    return;
  }
  for (const child of node as Branch) yield* walk(child, level + 1);
}

/** Every entry, in no particular order (for queries that must look at all of them). */
export function entriesOf<V>(map: PMap<V>): IterableIterator<[string, V]> {
  return walk(map.root as Branch | null, 0) as IterableIterator<[string, V]>;
}

/** Every value, in no particular order. */
export function* valuesOf<V>(map: PMap<V>): Generator<V> {
  for (const [, value] of entriesOf(map)) yield value;
}
