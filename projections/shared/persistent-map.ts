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
 * Why a fixed depth rather than leaves that split as they grow: with 500,000 store paths it set and
 * read about 1.7 times as fast, and its snapshots were smaller and parsed twice as fast. The price is
 * that even a one-key map holds four 32-slot arrays.
 *
 * Values must be JSON and never `undefined` (a snapshot would turn it into `null`). Read and write a map
 * only through the functions below; its layout is not part of any API, and a change to it changes the
 * stored state of every projection that holds one (bump their versions).
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

/** A map being written: `root` and `size` change as the writes land. */
interface Draft {
  size: number;
  root: Branch | null;
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
 * Marks the branches made while a writer was in place (`writingInPlace`), with that writer's token. A
 * symbol key: `JSON.stringify`, structured clone and `slice` all leave it behind, so a snapshot or a
 * copy of a branch is never marked.
 */
const madeBy = Symbol('made by');
type Marked = unknown[] & { [madeBy]?: object };

/** The token of the writer whose own nodes may change in place; null outside `writingInPlace`. */
let inPlaceWriter: object | null = null;

/**
 * Runs `write` with the maps' nodes that were made under the same `writer` token changed in place
 * rather than copied. A fold that nobody else reads while it runs (a replay, a catch-up) then stops
 * copying four 32-slot arrays per write, and leaves no garbage for the collector.
 *
 * The token is the promise: whoever holds it guarantees that no earlier version of a map made under
 * it is still read. Once a state is handed out (to a query, to a snapshot), its holder must take a
 * new token (`newWriter()`): the nodes marked with the old one are then copied again on write.
 */
export function writingInPlace<T>(writer: object, write: () => T): T {
  const outer = inPlaceWriter;
  inPlaceWriter = writer;
  try {
    return write();
  } finally {
    inPlaceWriter = outer;
  }
}

/** A fresh writer token for `writingInPlace`. */
export function newWriter(): object {
  return {};
}

/**
 * The branch itself when this batch or the writer in place made it (it may change in place), else a
 * copy that they now own.
 */
function own(node: Branch | null, owned: Set<object> | undefined): Branch {
  if (node !== null) {
    if (owned?.has(node)) return node;
    // A frozen node (immer freezes what its drafts reach) is copied whoever made it.
    if (inPlaceWriter !== null && (node as Marked)[madeBy] === inPlaceWriter && !Object.isFrozen(node))
      return node;
  }
  const copy = node === null ? emptyBranch() : node.slice();
  owned?.add(copy);
  if (inPlaceWriter !== null) (copy as Marked)[madeBy] = inPlaceWriter;
  return copy;
}

/**
 * Sets (`remove` false) or deletes one key, copying the nodes on its path that `owned` does not hold
 * (every one without a batch) and emptying branches left with nothing in them. Nothing is copied, and
 * false returned, when the map would not change.
 */
function write(
  draft: Draft,
  owned: Set<object> | undefined,
  key: string,
  value: unknown,
  remove: boolean,
): boolean {
  const hash = hashOf(key);
  const path: (Branch | null)[] = [];
  let node: Branch | Leaf | null = draft.root;
  for (let level = 0; level < depth; level++) {
    path.push(node as Branch | null);
    node = node === null ? null : ((node as Branch)[slotAt(hash, level)] ?? null);
  }
  const leaf = node as Leaf | null;
  let index = -1;
  if (leaf !== null) for (let i = 0; i < leaf.length && index < 0; i += 2) if (leaf[i] === key) index = i;

  // Leaves are made anew at their exact length, never changed in place: a leaf is one or two entries,
  // cheaper to copy than to mark as a writer's, and an array grown by `push` keeps room for 17
  // elements (about 200 bytes a leaf instead of 34, in maps of hundreds of thousands of leaves).
  let child: Branch | Leaf | null;
  if (remove) {
    if (index < 0) return false;
    draft.size -= 1;
    child = leaf!.length === 2 ? null : leaf!.filter((_, i) => i !== index && i !== index + 1);
  } else {
    if (index >= 0 && leaf![index + 1] === value) return false;
    if (index >= 0) {
      child = leaf!.slice();
      child[index + 1] = value;
    } else {
      child = leaf === null ? [key, value] : [...leaf, key, value];
      draft.size += 1;
    }
  }
  for (let level = depth - 1; level >= 0; level--) {
    const slot = slotAt(hash, level);
    const parent = path[level]!;
    if (child === null && parent !== null && parent.every((other, i) => i === slot || other === null))
      continue;
    const next = own(parent, owned);
    next[slot] = child;
    child = next;
  }
  draft.root = child as Branch | null;
  return true;
}

/** The map with `key` set to `value` (the same map when it already held exactly that value). */
export function setIn<V>(map: PMap<V>, key: string, value: V): PMap<V> {
  const draft: Draft = { size: map.size, root: map.root as Branch | null };
  return write(draft, undefined, key, value, false) ? { size: draft.size, root: draft.root } : map;
}

/** The map without `key` (the same map when it had none). */
export function deleteIn<V>(map: PMap<V>, key: string): PMap<V> {
  const draft: Draft = { size: map.size, root: map.root as Branch | null };
  return write(draft, undefined, key, undefined, true) ? { size: draft.size, root: draft.root } : map;
}

/** The map with the value at `key` replaced by `change(value)`; unchanged when `key` is absent or `change` returns the same value. */
export function updateIn<V>(map: PMap<V>, key: string, change: (value: V) => V): PMap<V> {
  const before = getIn(map, key);
  if (before === undefined) return map;
  return setIn(map, key, change(before));
}

/**
 * Writes into a map, copying each node once and then changing the copies in place: a batch of many
 * writes (the jobs of an evaluation chunk) costs one copy per node touched, not one per write.
 */
export interface MapEditor<V> {
  /** The value at `key` as the batch has left it so far. */
  get(key: string): V | undefined;
  /** Sets `key` to `value`. */
  set(key: string, value: V): void;
  /** Deletes `key`, if present. */
  delete(key: string): void;
}

/** The map after the writes `edit` makes (the same map when they changed nothing); `map` itself is unchanged. */
export function editMap<V>(map: PMap<V>, edit: (editor: MapEditor<V>) => void): PMap<V> {
  const draft: Draft = { size: map.size, root: map.root as Branch | null };
  const owned = new Set<object>();
  let changed = false;
  edit({
    get: (key) => getIn<V>(draft, key),
    set: (key, value) => {
      changed = write(draft, owned, key, value, false) || changed;
    },
    delete: (key) => {
      changed = write(draft, owned, key, undefined, true) || changed;
    },
  });
  return changed ? { size: draft.size, root: draft.root } : map;
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

/** Every entry, in hash order (stable for a given history of writes, not insertion order). */
export function entriesOf<V>(map: PMap<V>): IterableIterator<[string, V]> {
  return walk(map.root as Branch | null, 0) as IterableIterator<[string, V]>;
}

/** Every value, in hash order. */
export function* valuesOf<V>(map: PMap<V>): Generator<V> {
  for (const [, value] of entriesOf(map)) yield value;
}
