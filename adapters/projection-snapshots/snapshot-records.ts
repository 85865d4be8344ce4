/**
 * A projection's state as a sequence of JSON records of bounded size, one per line, instead of one
 * JSON text. Why: a read model of half a million builds is hundreds of megabytes of JSON, and one
 * `JSON.parse` (or `JSON.stringify`) of it holds the thread for seconds, so a restarted server could not
 * answer anything until every snapshot was parsed. Records are parsed (and written) a few at a time, with
 * the thread free for requests in between, and only one record's text is held at a time.
 *
 * Small values stay whole inside one record (parsed natively, at `JSON.parse`'s speed); only containers
 * whose JSON exceeds the record budget are taken apart. Records, each a JSON array:
 * - `[0, parent, key, kind]`: a new container (kind 1: array, 0: object), set at `key` of container
 *   `parent` (-1: it is the state itself). Containers are numbered in the order they are created.
 * - `[1, target, key, value, key, value…]`: entries set on object `target`, in order.
 * - `[2, target, value, value…]`: values appended to array `target`.
 * - `[3, value]`: the whole state, when it is small or not a container.
 * The result is what `JSON.parse(JSON.stringify(state))` gives: same values, same key order.
 */
import { type StringCopies, shareStrings } from './shared-strings.ts';

/**
 * About how many characters of JSON one record holds (a record may exceed it by one entry). Measured
 * on the builds snapshot at full bench scale (153 MB), loading took 2.0-2.3 s in records of 104 KiB,
 * 2.2-3.0 s in records of 48 KiB and 2.7 s in records of 400 KiB. Two thresholds of V8 are why: a
 * `JSON.parse` of a text of 100 Ki characters or more allocates its objects straight in the old
 * generation (they all survive, and copying them out of the young one is most of the cost), and a
 * string past 128 KiB goes to the large-object space, which made decoding the lines 25 times slower.
 */
const recordBudget = 104 * 1024;

type Container = Record<string, unknown> | unknown[];

/** Objects and arrays that `JSON.stringify` walks (not those that serialise themselves with `toJSON`). */
function isContainer(value: unknown): value is Container {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { toJSON?: unknown }).toJSON !== 'function'
  );
}

/** Whether JSON.stringify leaves this object entry out (and writes `null` for it in an array). */
function omitted(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}

/**
 * `budget` less a rough length of `value`'s JSON, stopping as soon as it goes below zero: the cost of
 * the estimate is bounded by the budget, not by the size of the value.
 */
function remainingAfter(value: unknown, budget: number): number {
  if (typeof value === 'string') return budget - value.length - 2;
  if (!isContainer(value)) return budget - 8;
  let left = budget - 2;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length && left >= 0; i++) left = remainingAfter(value[i], left) - 1;
    return left;
  }
  for (const key in value) {
    if (left < 0) break;
    if (!Object.hasOwn(value, key)) continue;
    const entry = value[key];
    if (omitted(entry)) continue;
    left = remainingAfter(entry, left - key.length - 4);
  }
  return left;
}

const tooBigForOneRecord = (value: unknown) => isContainer(value) && remainingAfter(value, recordBudget) < 0;

/** The state's records, one JSON text each (no newline), in the order they must be read back. */
export function* encodeStateRecords(state: unknown): Generator<string> {
  if (!tooBigForOneRecord(state)) {
    yield `[3,${JSON.stringify(state) ?? 'null'}]`;
    return;
  }
  let created = 0;
  function* container(value: Container, parent: number, key: string | number | null): Generator<string> {
    const id = created++;
    const isArray = Array.isArray(value);
    yield JSON.stringify([0, parent, key, isArray ? 1 : 0]);
    let batch: string[] = [];
    let length = 0;
    function* flush(): Generator<string> {
      if (batch.length === 0) return;
      yield `[${isArray ? 2 : 1},${id},${batch.join(',')}]`;
      batch = [];
      length = 0;
    }
    const keys: (string | number)[] = isArray ? [] : Object.keys(value);
    const count = isArray ? value.length : keys.length;
    for (let i = 0; i < count; i++) {
      const entryKey = isArray ? i : (keys[i] as string);
      const entry = (value as Record<string | number, unknown>)[entryKey];
      if (omitted(entry)) {
        if (isArray) batch.push('null');
        continue;
      }
      if (tooBigForOneRecord(entry)) {
        yield* flush();
        yield* container(entry as Container, id, entryKey);
        continue;
      }
      const text = JSON.stringify(entry);
      if (isArray) batch.push(text);
      else batch.push(JSON.stringify(entryKey), text);
      length += text.length;
      if (length >= recordBudget) yield* flush();
    }
    yield* flush();
  }
  yield* container(state as Container, -1, null);
}

/** Sets `key` as an own property even when it is `__proto__` (as JSON.parse does). */
function setEntry(target: Container, key: unknown, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  else (target as Record<string, unknown>)[key as string] = value;
}

/**
 * Rebuilds a state from its records, with `shareStrings` one copy of each repeated string (see
 * shared-strings.ts); throws on a record that does not fit (a damaged snapshot).
 */
export function createStateDecoder(options: { readonly shareStrings?: boolean } = {}): {
  push(record: string): void;
  result(): unknown;
} {
  const containers: Container[] = [];
  const copies: StringCopies | undefined = options.shareStrings ? new Map() : undefined;
  let state: unknown;
  let complete = false;
  const containerAt = (id: unknown): Container => {
    const found = typeof id === 'number' ? containers[id] : undefined;
    if (!found) throw new Error(`snapshot record names container ${String(id)}, which does not exist`);
    return found;
  };
  return {
    push(text) {
      const record = JSON.parse(text) as unknown[];
      if (!Array.isArray(record)) throw new Error('a snapshot record is not an array');
      if (copies) shareStrings(record, copies);
      switch (record[0]) {
        case 0: {
          const created: Container = record[3] === 1 ? [] : {};
          if (record[1] === -1) {
            if (containers.length > 0) throw new Error('a snapshot has two roots');
            state = created;
          } else setEntry(containerAt(record[1]), record[2], created);
          containers.push(created);
          complete = true;
          return;
        }
        case 1: {
          const target = containerAt(record[1]);
          for (let i = 2; i < record.length; i += 2) setEntry(target, record[i], record[i + 1]);
          return;
        }
        case 2: {
          const target = containerAt(record[1]);
          if (!Array.isArray(target)) throw new Error('a snapshot record appends to an object');
          for (let i = 2; i < record.length; i++) target.push(record[i]);
          return;
        }
        case 3:
          state = record[1];
          complete = true;
          return;
        default:
          throw new Error(`unknown snapshot record kind ${String(record[0])}`);
      }
    },
    result() {
      if (!complete) throw new Error('a snapshot without its state');
      return state;
    },
  };
}
