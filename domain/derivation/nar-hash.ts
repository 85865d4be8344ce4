/**
 * The NAR hash of a tree: SHA-256 over its serialization, with the size, computed as the chunks go by.
 * Nix prints it `sha256:<nix32>` (narinfo, `nix-hash --type sha256 --base32` without the prefix).
 */
import { createHasher, type Hash, type Hasher, printHash } from './hash.ts';
import type { NarEvent } from './nar-events.ts';
import { createNarSerializer } from './nar-serialize.ts';

/** A NAR's SHA-256 and its length in bytes. */
export interface NarDigest {
  readonly hash: Hash;
  readonly size: number;
}

export interface NarHasher {
  update(chunk: Uint8Array): void;
  digest(): NarDigest;
}

/**
 * `hasher` is the SHA-256 to feed: the portable one by default; an adapter may pass a native one
 * (node:crypto runs several times faster over a NAR of hundreds of MiB).
 */
export function createNarHasher(hasher: Hasher = createHasher('sha256')): NarHasher {
  let size = 0;
  return {
    update(chunk) {
      hasher.update(chunk);
      size += chunk.length;
    },
    digest: () => ({ hash: hasher.digest(), size }),
  };
}

/** `sha256:<nix32>`. */
export function printNarHash(hash: Hash): string {
  return printHash(hash, 'nix32', true);
}

/** Hashes the NAR bytes of a stream of chunks. */
export async function hashNarChunks(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): Promise<NarDigest> {
  const hasher = createNarHasher();
  for await (const chunk of chunks) hasher.update(chunk);
  return hasher.digest();
}

/** Serializes and hashes a tree given as events, without keeping the NAR. */
export async function hashNarEvents(
  events: AsyncIterable<NarEvent> | Iterable<NarEvent>,
): Promise<NarDigest> {
  const serializer = createNarSerializer();
  const hasher = createNarHasher();
  for await (const event of events) for (const chunk of serializer.write(event)) hasher.update(chunk);
  serializer.end();
  return hasher.digest();
}
