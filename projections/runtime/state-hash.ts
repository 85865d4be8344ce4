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
 * `budget` less the number of values in `value`, or −1 when it is larger than the budget or some
 * object in it has keys out of order: a small subtree whose keys are all in order is its canonical
 * JSON as `JSON.stringify` writes it (native, and many times faster than writing it piece by piece).
 */
function inOrderWithin(value: unknown, budget: number): number {
  if (value === null || typeof value !== 'object') return budget - 1;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return -1;
  let left = budget - 1;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length && left >= 0; i++) left = inOrderWithin(value[i], left);
    return left;
  }
  let previous: string | undefined;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) return -1;
    if (previous !== undefined && previous > key) return -1;
    previous = key;
    left = inOrderWithin((value as Record<string, unknown>)[key], left);
    if (left < 0) return -1;
  }
  return left;
}

/** Writes `value` as JSON with sorted keys; `undefined` members are dropped as JSON.stringify does. */
function writeCanonical(value: unknown, out: { write(text: string): void }): void {
  if (value === null || typeof value !== 'object') {
    out.write(JSON.stringify(value) ?? 'null');
    return;
  }
  if (inOrderWithin(value, nativeBudget) >= 0) {
    out.write(JSON.stringify(value));
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
