/**
 * Ed25519 keys and signatures in Nix's formats: keys are `name:base64`, a secret key being
 * libsodium's 64 bytes (seed then public key), a signature `name:base64(64 bytes)`. Store paths are
 * signed through their fingerprint `1;<path>;<narHash>;<narSize>;<refs,…>`. Key generation takes the
 * 32-byte seed from the caller: the domain has no randomness.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { concatBytes, equalBytes, fromBase64, sortNix, toBase64, utf8 } from './bytes.ts';
import { DerivationError } from './errors.ts';
import { type Hash, printHash } from './hash.ts';
import { defaultStoreDir, parseStorePath } from './store-path.ts';

export interface PublicKey {
  readonly name: string;
  /** 32 bytes. */
  readonly key: Uint8Array;
}

export interface SecretKey {
  readonly name: string;
  /** The 32-byte seed everything else follows from. */
  readonly seed: Uint8Array;
  readonly publicKey: PublicKey;
}

const invalid = (message: string) => new DerivationError('TALLY_KEY_INVALID', message);

function checkKeyName(name: string): void {
  if (name === '' || name.includes(':') || /\s/.test(name)) {
    throw invalid(`key name '${name}' must be non-empty, without ':' or spaces`);
  }
}

function splitKey(text: string, what: string, size: number): { name: string; bytes: Uint8Array } {
  const trimmed = text.trim();
  const colon = trimmed.indexOf(':');
  if (colon <= 0) throw invalid(`${what} is not in the form name:base64`);
  const bytes = fromBase64(trimmed.slice(colon + 1));
  if (!bytes || bytes.length !== size) throw invalid(`${what} is not ${size} bytes of base-64`);
  return { name: trimmed.slice(0, colon), bytes };
}

export function secretKeyFromSeed(name: string, seed: Uint8Array): SecretKey {
  checkKeyName(name);
  if (seed.length !== 32) throw invalid(`an ed25519 seed is 32 bytes, not ${seed.length}`);
  return { name, seed: seed.slice(), publicKey: { name, key: ed25519.getPublicKey(seed) } };
}

/** Parses a secret key file's contents (`name:base64` of 64 bytes). */
export function parseSecretKey(text: string): SecretKey {
  const { name, bytes } = splitKey(text, 'secret key', 64);
  const key = secretKeyFromSeed(name, bytes.subarray(0, 32));
  if (!equalBytes(key.publicKey.key, bytes.subarray(32))) {
    throw invalid(`secret key '${name}' does not hold its own public key`);
  }
  return key;
}

export function printSecretKey(key: SecretKey): string {
  return `${key.name}:${toBase64(concatBytes([key.seed, key.publicKey.key]))}`;
}

export function parsePublicKey(text: string): PublicKey {
  const { name, bytes } = splitKey(text, 'public key', 32);
  return { name, key: bytes };
}

export function printPublicKey(key: PublicKey): string {
  return `${key.name}:${toBase64(key.key)}`;
}

/** `name:base64(signature)` over `data`. */
export function signDetached(key: SecretKey, data: string | Uint8Array): string {
  const message = typeof data === 'string' ? utf8(data) : data;
  return `${key.name}:${toBase64(ed25519.sign(message, key.seed))}`;
}

/** True when `signature` is by one of `keys` (matched by name) and valid for `data`. */
export function verifyDetached(
  data: string | Uint8Array,
  signature: string,
  keys: Iterable<PublicKey>,
): boolean {
  const colon = signature.indexOf(':');
  if (colon <= 0) return false;
  const name = signature.slice(0, colon);
  const bytes = fromBase64(signature.slice(colon + 1));
  if (bytes?.length !== 64) return false;
  const message = typeof data === 'string' ? utf8(data) : data;
  for (const key of keys) {
    if (key.name !== name) continue;
    try {
      if (ed25519.verify(bytes, message, key.key, { zip215: false })) return true;
    } catch {
      // A malformed key or signature point is simply not a valid signature.
    }
  }
  return false;
}

/** What Nix signs for a store path: `1;<path>;sha256:<nix32>;<narSize>;<sorted refs, comma-joined>`. */
export function pathFingerprint(
  storePath: string,
  narHash: Hash,
  narSize: number,
  references: Iterable<string>,
  storeDir = defaultStoreDir,
): string {
  parseStorePath(storePath, storeDir);
  if (narHash.algorithm !== 'sha256') throw invalid('the NAR hash of a fingerprint must be sha256');
  if (!Number.isSafeInteger(narSize) || narSize <= 0) {
    throw invalid(`cannot make the fingerprint of ${storePath}: its NAR size is not known`);
  }
  const refs = sortNix(new Set(references));
  for (const ref of refs) parseStorePath(ref, storeDir);
  return `1;${storePath};${printHash(narHash, 'nix32', true)};${narSize};${refs.join(',')}`;
}
