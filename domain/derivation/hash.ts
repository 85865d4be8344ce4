/**
 * Hashes as Nix names and prints them: an algorithm and its digest, printed in base-16, Nix base-32,
 * base-64 or SRI form, with or without the `algo:` prefix. SHA-256 is what store paths and NARs use;
 * MD5, SHA-1 and SHA-512 appear only in legacy fixed-output hashes.
 */
import { md5, sha1 } from '@noble/hashes/legacy.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { fromBase64, fromHex, toBase64, toHex, utf8 } from './bytes.ts';
import { DerivationError } from './errors.ts';
import { fromNix32, nix32Length, toNix32 } from './nix32.ts';

export type HashAlgorithm = 'md5' | 'sha1' | 'sha256' | 'sha512';

export const hashAlgorithms: readonly HashAlgorithm[] = ['md5', 'sha1', 'sha256', 'sha512'];

const digestSizes: Record<HashAlgorithm, number> = { md5: 16, sha1: 20, sha256: 32, sha512: 64 };

/** A digest and the algorithm that made it. */
export interface Hash {
  readonly algorithm: HashAlgorithm;
  readonly digest: Uint8Array;
}

/** The ways Nix prints a digest. */
export type HashEncoding = 'base16' | 'nix32' | 'base64';

/** An incremental hasher: feed chunks, then take the digest once. */
export interface Hasher {
  update(chunk: Uint8Array): Hasher;
  digest(): Hash;
}

const implementations = { md5, sha1, sha256, sha512 } as const;

export function isHashAlgorithm(name: string): name is HashAlgorithm {
  return (hashAlgorithms as readonly string[]).includes(name);
}

export function parseHashAlgorithm(name: string): HashAlgorithm {
  if (!isHashAlgorithm(name))
    throw new DerivationError('TALLY_HASH_INVALID', `unknown hash algorithm '${name}'`);
  return name;
}

export function createHasher(algorithm: HashAlgorithm): Hasher {
  const state = implementations[algorithm].create();
  const hasher: Hasher = {
    update(chunk) {
      state.update(chunk);
      return hasher;
    },
    digest: () => ({ algorithm, digest: state.digest() }),
  };
  return hasher;
}

export function hashBytes(algorithm: HashAlgorithm, data: Uint8Array | string): Hash {
  return { algorithm, digest: implementations[algorithm](typeof data === 'string' ? utf8(data) : data) };
}

export function printHash(hash: Hash, encoding: HashEncoding, prefixed: boolean): string {
  const body =
    encoding === 'base16'
      ? toHex(hash.digest)
      : encoding === 'nix32'
        ? toNix32(hash.digest)
        : toBase64(hash.digest);
  return prefixed ? `${hash.algorithm}:${body}` : body;
}

/** `sha256-<base64>`, the Subresource Integrity form. */
export function printSri(hash: Hash): string {
  return `${hash.algorithm}-${toBase64(hash.digest)}`;
}

/** XORs the digest down to `size` bytes, as Nix shortens SHA-256 to the 160-bit store path hash. */
export function compressHash(digest: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  digest.forEach((byte, i) => {
    out[i % size]! ^= byte;
  });
  return out;
}

/** Parses a digest without prefix in any encoding Nix accepts, telling them apart by length. */
export function parseHashBody(text: string, algorithm: HashAlgorithm): Hash {
  const size = digestSizes[algorithm];
  const digest =
    text.length === size * 2
      ? fromHex(text)
      : text.length === nix32Length(size)
        ? fromNix32(text, size)
        : text.length === Math.ceil(size / 3) * 4
          ? fromBase64(text)
          : undefined;
  if (!digest || digest.length !== size) {
    throw new DerivationError('TALLY_HASH_INVALID', `'${text}' is not a valid ${algorithm} hash`);
  }
  return { algorithm, digest };
}

/**
 * Parses `algo:<digest>` or SRI `algo-<base64>`; with `defaultAlgorithm`, a bare digest too (as
 * `outputHash` with `outputHashAlgo` is given).
 */
export function parseHash(text: string, defaultAlgorithm?: HashAlgorithm): Hash {
  const colon = text.indexOf(':');
  if (colon >= 0) return parseHashBody(text.slice(colon + 1), parseHashAlgorithm(text.slice(0, colon)));
  const dash = text.indexOf('-');
  if (dash >= 0 && isHashAlgorithm(text.slice(0, dash))) {
    const algorithm = text.slice(0, dash) as HashAlgorithm;
    const digest = fromBase64(text.slice(dash + 1));
    if (!digest || digest.length !== digestSizes[algorithm]) {
      throw new DerivationError('TALLY_HASH_INVALID', `'${text}' is not a valid SRI hash`);
    }
    return { algorithm, digest };
  }
  if (defaultAlgorithm) return parseHashBody(text, defaultAlgorithm);
  throw new DerivationError('TALLY_HASH_INVALID', `'${text}' does not name its hash algorithm`);
}
