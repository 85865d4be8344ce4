/**
 * A fingerprint of a projection's state that does not depend on key order, so a state rebuilt by
 * replay and the live one can be compared (`tally replay --verify`): the SHA-256 of the state's JSON
 * with object keys sorted at every depth.
 *
 * The JSON is hashed as it is written, a chunk at a time, never held whole: a read model of half a
 * million builds is hundreds of megabytes of it, which as one string (and its UTF-8 copy) would be
 * most of the memory of a replay.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

/** How much JSON text is gathered before it is hashed: large enough that hashing calls are few. */
const chunkChars = 1 << 16;

/** Collects JSON text and feeds it to the hash in chunks. */
class HashingWriter {
  private readonly hash = sha256.create();
  private parts: string[] = [];
  private length = 0;

  write(text: string): void {
    this.parts.push(text);
    this.length += text.length;
    if (this.length >= chunkChars) this.flush();
  }

  flush(): void {
    if (this.parts.length === 0) return;
    this.hash.update(utf8ToBytes(this.parts.join('')));
    this.parts = [];
    this.length = 0;
  }

  digest(): string {
    this.flush();
    return bytesToHex(this.hash.digest());
  }
}

/** Compares keys as the sort of JSON keys by UTF-16 code units. */
function byKey(a: [string, unknown], b: [string, unknown]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

/** Writes `value` as JSON with sorted keys; `undefined` members are dropped as JSON.stringify does. */
function writeCanonical(value: unknown, out: { write(text: string): void }): void {
  if (value === null || typeof value !== 'object') {
    out.write(JSON.stringify(value) ?? 'null');
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
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, member]) => member !== undefined)
    .sort(byKey);
  out.write('{');
  for (let i = 0; i < entries.length; i++) {
    const [key, member] = entries[i]!;
    out.write(`${i > 0 ? ',' : ''}${JSON.stringify(key)}:`);
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
