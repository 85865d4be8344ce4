/**
 * An immutable map from strings to values made only of plain JSON (arrays, objects, null), so that a
 * read model of hundreds of thousands of builds is snapshotted with `JSON.stringify` and still changes
 * in O(1) per event.
 *
 * Why not a record updated with immer: a record is copied whole when one of its keys changes, and a
 * record of 500,000 builds copied per event is O(n). Here a key's 32-bit hash picks a path through four
 * levels of 32-slot arrays to a small leaf object; a change copies four short arrays and one leaf and
 * shares everything else with the previous version.
 *
 * Read and write it only through the functions below; its layout is not part of any API.
 */

const bits = 5;
const width = 1 << bits;
const depth = 4;

/** A leaf: the entries whose hashes share one path (usually a single one). */
type Leaf = Record<string, unknown>;
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
  return Object.hasOwn(leaf, key) ? (leaf[key] as V) : undefined;
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

function write<V>(
  map: { size: number; root: Branch | null },
  owned: Set<object>,
  key: string,
  value: V,
): void {
  const hash = hashOf(key);
  if (map.root === null || !owned.has(map.root)) {
    map.root = map.root === null ? emptyBranch() : [...map.root];
    owned.add(map.root);
  }
  let branch = map.root;
  for (let level = 0; level < depth - 1; level++) {
    const slot = slotAt(hash, level);
    let child = branch[slot] as Branch | null;
    if (child === null || !owned.has(child)) {
      child = child === null ? emptyBranch() : [...child];
      owned.add(child);
      branch[slot] = child;
    }
    branch = child;
  }
  const slot = slotAt(hash, depth - 1);
  let leaf = branch[slot] as Leaf | null;
  if (leaf === null || !owned.has(leaf)) {
    leaf = leaf === null ? {} : { ...leaf };
    owned.add(leaf);
    branch[slot] = leaf;
  }
  if (!Object.hasOwn(leaf, key)) map.size += 1;
  leaf[key] = value;
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
  write(draft, new Set(), key, value);
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
    yield* Object.entries(node as Leaf);
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
