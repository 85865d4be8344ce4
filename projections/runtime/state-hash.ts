/**
 * A fingerprint of a projection's state that does not depend on key order, so a state rebuilt by
 * replay and the live one can be compared (`tally replay --verify`): the SHA-256 of the state's JSON
 * with object keys sorted at every depth.
 *
 * The JSON is hashed as it is written, a chunk at a time, never held whole: a read model of half a
 * million builds is hundreds of megabytes of it, which as one string (and its UTF-8 copy) would be
 * most of the memory of a replay.
 */
import { createHash } from 'node:crypto';

/** How much JSON text is gathered before it is hashed: large enough that hashing calls are few. */
const chunkChars = 1 << 16;

/** Collects JSON text and feeds it to the hash in chunks. */
class HashingWriter {
  private readonly hash = createHash('sha256');
  private parts: string[] = [];
  private length = 0;

  write(text: string): void {
    this.parts.push(text);
    this.length += text.length;
    if (this.length >= chunkChars) this.flush();
  }

  flush(): void {
    if (this.parts.length === 0) return;
    this.hash.update(this.parts.join(''), 'utf8');
    this.parts = [];
    this.length = 0;
  }

  digest(): string {
    this.flush();
    return this.hash.digest('hex');
  }
}

/** The object's own keys in code-unit order (usually already so: a sort only when they are not). */
function sortedKeys(value: Record<string, unknown>): string[] {
  const keys = Object.keys(value);
  for (let i = 1; i < keys.length; i++) {
    if (keys[i - 1]! > keys[i]!) return keys.sort();
  }
  return keys;
}

/** How many values a subtree may hold to be written by one `JSON.stringify`. */
const nativeBudget = 4096;

/**
 * Gathers into `keys` every key of the objects in `value`, and returns `budget` less the number of
 * values in it; −1 when it holds more than the budget, or something `JSON.stringify` given a list of
 * keys would not write as the canonical form does. With the sorted list of those keys,
 * `JSON.stringify(value, list)` writes every object's members in the list's order: the canonical JSON,
 * natively, whatever order the keys were inserted in (read models build their records in field order,
 * not in alphabetical order, so a check that keys are already sorted almost always failed).
 *
 * What it refuses, each written as the canonical form writes it instead:
 * - values with `toJSON` (the canonical form writes a `Date` as its own keys, `{}`);
 * - functions and symbols (`null` in the canonical form, left out by `JSON.stringify`);
 * - objects that are not plain (a list of keys reads inherited getters, say a `Map`'s `size`), and
 *   plain objects with properties that are not enumerable (a list of keys reads those too);
 * - keys that plain objects inherit (`toString`, `__proto__`): a list naming them would read them from
 *   the prototype in every object that does not have its own;
 * - nesting deeper than `nativeDepth`: `JSON.stringify` with a list of keys runs out of stack sooner.
 */
function keysWithin(value: unknown, keys: Set<string>, budget: number, depth: number): number {
  if (value === null || typeof value !== 'object')
    return typeof value === 'function' || typeof value === 'symbol' ? -1 : budget - 1;
  if (depth > nativeDepth || typeof (value as { toJSON?: unknown }).toJSON === 'function') return -1;
  let left = budget - 1;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length && left >= 0; i++) left = memberWithin(value[i], keys, left, depth);
    return left;
  }
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return -1;
  let count = 0;
  for (const key in value) {
    count += 1;
    if (!keys.has(key)) {
      if (key in Object.prototype) return -1;
      keys.add(key);
    }
    left = memberWithin((value as Record<string, unknown>)[key], keys, left, depth);
    if (left < 0) return -1;
  }
  return Object.getOwnPropertyNames(value).length === count ? left : -1;
}

/** How deep a subtree written by one `JSON.stringify` may nest. */
const nativeDepth = 500;

/** `keysWithin` for a member, without a call for the plain values that most members are. */
function memberWithin(member: unknown, keys: Set<string>, budget: number, depth: number): number {
  const type = typeof member;
  if (member === null || (type !== 'object' && type !== 'function' && type !== 'symbol')) return budget - 1;
  return keysWithin(member, keys, budget, depth + 1);
}

/** Writes `value` as JSON with sorted keys; `undefined` members are dropped as JSON.stringify does. */
function writeCanonical(value: unknown, out: { write(text: string): void }): void {
  if (value === null || typeof value !== 'object') {
    out.write(JSON.stringify(value) ?? 'null');
    return;
  }
  const keys = new Set<string>();
  if (keysWithin(value, keys, nativeBudget, 0) >= 0) {
    out.write(JSON.stringify(value, [...keys].sort()));
    return;
  }
  if (Array.isArray(value)) {
    out.write('[');
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.write(',');
      writeCanonical(value[i] ?? null, out);
    }
    out.write(']');
    return;
  }
  const record = value as Record<string, unknown>;
  let first = true;
  out.write('{');
  for (const key of sortedKeys(record)) {
    const member = record[key];
    if (member === undefined) continue;
    out.write(`${first ? '' : ','}${JSON.stringify(key)}:`);
    first = false;
    writeCanonical(member, out);
  }
  out.write('}');
}

/** JSON with object keys sorted at every depth (for tests and small states: it is held whole). */
export function canonicalJson(value: unknown): string {
  const parts: string[] = [];
  writeCanonical(value, { write: (text) => parts.push(text) });
  return parts.join('');
}

export function hashState(state: unknown): string {
  const writer = new HashingWriter();
  writeCanonical(state, writer);
  return writer.digest();
}
