/**
 * Store paths as Nix computes them: `<storeDir>/<nix32 of 20 bytes>-<name>`, where the 20 bytes are
 * SHA-256 of `<type>:sha256:<hex>:<storeDir>:<name>` folded by XOR. The store directory is part of
 * every hash, so it is a parameter everywhere.
 */
import { sortNix } from './bytes.ts';
import { DerivationError } from './errors.ts';
import { compressHash, type Hash, hashBytes, printHash } from './hash.ts';
import { nix32Alphabet, toNix32 } from './nix32.ts';

export const defaultStoreDir = '/nix/store';

/** Characters in the hash part of a store path. */
export const storePathHashLength = 32;

/** Nix's limit on the name part of a store path. */
export const maxStorePathNameLength = 211;

/** How a fixed-output hash was computed: over the file's bytes, or over the NAR of a tree. */
export type IngestionMethod = 'flat' | 'recursive';

/** A store path split into its parts. */
export interface StorePath {
  readonly storeDir: string;
  readonly hashPart: string;
  readonly name: string;
}

const invalid = (message: string) => new DerivationError('TALLY_STORE_PATH_INVALID', message);

/** Refuses a store directory that is not absolute or ends in `/`. */
export function checkStoreDir(storeDir: string): void {
  if (
    !storeDir.startsWith('/') ||
    (storeDir.length > 1 && storeDir.endsWith('/')) ||
    storeDir.includes('//')
  ) {
    throw invalid(`store directory '${storeDir}' must be an absolute path without a trailing slash`);
  }
}

/**
 * Refuses names Nix refuses: empty, longer than 211 characters, characters outside
 * `[A-Za-z0-9+-._?=]`, and (as newer Nix does) `.`/`..` as the first dash-separated component.
 */
export function checkStorePathName(name: string): void {
  if (name.length === 0) throw invalid('a store path name must not be empty');
  if (name.length > maxStorePathNameLength) {
    throw invalid(`store path name '${name}' is longer than ${maxStorePathNameLength} characters`);
  }
  const bad = /[^A-Za-z0-9+\-._?=]/.exec(name);
  if (bad) throw invalid(`store path name '${name}' contains the illegal character '${bad[0]}'`);
  const first = name.split('-')[0];
  if (first === '.' || first === '..') {
    throw invalid(`store path name '${name}' must not start with the component '${first}'`);
  }
}

/** Parses `<storeDir>/<hash>-<name>`, refusing anything Nix would refuse. */
export function parseStorePath(path: string, storeDir = defaultStoreDir): StorePath {
  if (!path.startsWith(`${storeDir}/`)) throw invalid(`'${path}' is not in the store ${storeDir}`);
  const base = path.slice(storeDir.length + 1);
  if (base.includes('/')) throw invalid(`'${path}' is not a top-level store path`);
  if (base.length < storePathHashLength + 1 || base[storePathHashLength] !== '-') {
    throw invalid(`'${base}' is not <32 base-32 characters>-<name>`);
  }
  const hashPart = base.slice(0, storePathHashLength);
  for (const char of hashPart) {
    if (!nix32Alphabet.includes(char)) throw invalid(`'${path}' has the illegal base-32 character '${char}'`);
  }
  const name = base.slice(storePathHashLength + 1);
  checkStorePathName(name);
  return { storeDir, hashPart, name };
}

export function isStorePath(path: string, storeDir = defaultStoreDir): boolean {
  try {
    parseStorePath(path, storeDir);
    return true;
  } catch {
    return false;
  }
}

/** `<hash>-<name>`, the file name of a store path. */
export function storePathBaseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** `makeStorePath`: the path for a type string (`text:…`, `source:…`, `output:out`) and a SHA-256. */
export function makeStorePath(type: string, hash: Hash, name: string, storeDir = defaultStoreDir): string {
  checkStoreDir(storeDir);
  checkStorePathName(name);
  if (hash.algorithm !== 'sha256') throw invalid(`store paths are made from sha256, not ${hash.algorithm}`);
  const fingerprint = `${type}:${printHash(hash, 'base16', true)}:${storeDir}:${name}`;
  const compressed = compressHash(hashBytes('sha256', fingerprint).digest, 20);
  return `${storeDir}/${toNix32(compressed)}-${name}`;
}

function typeWithReferences(type: string, references: Iterable<string>, self: boolean): string {
  const parts = [type, ...sortNix(new Set(references))];
  if (self) parts.push('self');
  return parts.join(':');
}

/** A text file added with its references, as `.drv` files and `builtins.toFile` are. */
export function makeTextPath(
  name: string,
  contentHash: Hash,
  references: Iterable<string>,
  storeDir = defaultStoreDir,
): string {
  return makeStorePath(typeWithReferences('text', references, false), contentHash, name, storeDir);
}

/**
 * A content-addressed path: a recursive SHA-256 uses the `source` type (with references, as
 * `nix-store --add` and `builtins.path` do); anything else hashes `fixed:out:<r:><algo>:<hex>:`.
 */
export function makeFixedOutputPath(
  method: IngestionMethod,
  hash: Hash,
  name: string,
  storeDir = defaultStoreDir,
  references: Iterable<string> = [],
  selfReference = false,
): string {
  if (method === 'recursive' && hash.algorithm === 'sha256') {
    return makeStorePath(typeWithReferences('source', references, selfReference), hash, name, storeDir);
  }
  if ([...references].length > 0 || selfReference) {
    throw invalid('only recursive sha256 content-addressed paths can have references');
  }
  const prefix = method === 'recursive' ? 'r:' : '';
  const inner = hashBytes('sha256', `fixed:out:${prefix}${printHash(hash, 'base16', true)}:`);
  return makeStorePath('output:out', inner, name, storeDir);
}

/** The path of a tree added to the store (`nix-store --add`, `./file` in an expression). */
export function makeSourcePath(
  name: string,
  narHash: Hash,
  references: Iterable<string> = [],
  storeDir = defaultStoreDir,
): string {
  return makeFixedOutputPath('recursive', narHash, name, storeDir, references);
}

/** `name` for output `out`, `name-<output>` for the others. */
export function outputPathName(drvName: string, outputName: string): string {
  return outputName === 'out' ? drvName : `${drvName}-${outputName}`;
}

/** The path of an input-addressed output, from the derivation's hash modulo. */
export function makeOutputPath(
  outputName: string,
  drvHash: Hash,
  drvName: string,
  storeDir = defaultStoreDir,
): string {
  return makeStorePath(`output:${outputName}`, drvHash, outputPathName(drvName, outputName), storeDir);
}
