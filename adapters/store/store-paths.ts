/**
 * Checking the paths callers hand to the store, and the hashes it prints. Every path is refused
 * unless it is a top-level store path of this store directory with a name Nix would accept, so no
 * `..`, no sub-path and no other directory ever reaches the file system.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { type Hash, parseHash, parseStorePath, printNarHash } from '../../domain/derivation/index.ts';
import { StoreError } from './errors.ts';

/** A store path accepted by `checkStorePath`. */
export interface CheckedPath {
  readonly path: string;
  readonly hashPart: string;
  /** `<hash>-<name>`. */
  readonly baseName: string;
}

export function checkStorePath(storeDir: string, path: string): CheckedPath {
  if (typeof path !== 'string' || posix.normalize(path) !== path || path.split('/').includes('..')) {
    throw new StoreError('TALLY_STORE_BAD_PATH', `'${String(path)}' is not a normalised store path`);
  }
  try {
    const parsed = parseStorePath(path, storeDir);
    return { path, hashPart: parsed.hashPart, baseName: `${parsed.hashPart}-${parsed.name}` };
  } catch (error) {
    throw new StoreError('TALLY_STORE_BAD_PATH', (error as Error).message);
  }
}

/** True for a 32-character hash part in Nix's base-32 alphabet. */
export function isHashPart(text: string): boolean {
  return /^[0-9a-df-np-sv-z]{32}$/.test(text);
}

/** True for the 52-character nix32 of a SHA-256 (a file hash in a cache URL). */
export function isNix32Sha256(text: string): boolean {
  return /^[0-9a-df-np-sv-z]{52}$/.test(text);
}

/** `sha256:<nix32>` from any form Nix accepts (base-16, nix32, base-64, SRI). */
export function normaliseNarHash(text: string): string {
  let hash: Hash;
  try {
    hash = parseHash(text);
  } catch (error) {
    throw new StoreError('TALLY_STORE_BAD_ARGUMENT', `NAR hash '${text}': ${(error as Error).message}`);
  }
  if (hash.algorithm !== 'sha256') {
    throw new StoreError('TALLY_STORE_BAD_ARGUMENT', `a NAR hash must be sha256, not ${hash.algorithm}`);
  }
  return printNarHash(hash);
}

/** A SHA-256 hasher from node:crypto (several times faster than the pure one for large NARs). */
export function createSha256(): { update(chunk: Uint8Array): void; digest(): string; size: number } {
  const hasher = createHash('sha256');
  return {
    size: 0,
    update(chunk) {
      hasher.update(chunk);
      this.size += chunk.length;
    },
    digest: () => printNarHash({ algorithm: 'sha256', digest: new Uint8Array(hasher.digest()) }),
  };
}
