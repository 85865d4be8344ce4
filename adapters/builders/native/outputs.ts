/**
 * What Nix does to an output once the builder has exited: make it read-only with timestamps set to
 * 1 (so the NAR and every copy of it are the same everywhere), hash its NAR while scanning it for
 * references, and check a fixed output against its declared hash.
 */

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, lstat, lutimes, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createNarHasher,
  type Hash,
  type HashAlgorithm,
  type OutputKind,
  printHash,
  printNarHash,
} from '../../../domain/derivation/index.ts';
import { createNativeSha256, dumpPath } from '../../store/nar-fs.ts';
import type { BuiltOutput } from '../builder.ts';
import { createReferenceScanner } from './references.ts';

/** Files 0444 or 0555 (executable), directories 0555, symlinks untouched; every mtime 1. */
export async function canonicalise(path: string): Promise<void> {
  const stats = await lstat(path);
  if (stats.isDirectory()) {
    for (const name of await readdir(path)) await canonicalise(join(path, name));
  }
  if (!stats.isSymbolicLink()) {
    const executable = stats.isDirectory() || (stats.mode & 0o100) !== 0;
    await chmod(path, executable ? 0o555 : 0o444);
  }
  await lutimes(path, 1, 1);
}

/** Hashes the output's NAR and finds which `candidates` it refers to, in one pass. */
export async function inspectOutput(
  name: string,
  path: string,
  candidates: Iterable<string>,
): Promise<BuiltOutput> {
  // node:crypto's SHA-256: the pure-JS default hashes some 48 MiB/s here, node:crypto 200-430 MiB/s.
  const hasher = createNarHasher(createNativeSha256());
  const scanner = createReferenceScanner(candidates);
  for await (const chunk of dumpPath(path)) {
    hasher.update(chunk);
    scanner.update(chunk);
  }
  const { hash, size } = hasher.digest();
  return { name, path, narHash: printNarHash(hash), narSize: size, references: [...scanner.found()].sort() };
}

/** The `algorithm` hash of every chunk of `chunks`, by node:crypto (fixed outputs can be large tarballs). */
async function hashChunks(algorithm: HashAlgorithm, chunks: AsyncIterable<Uint8Array>): Promise<Hash> {
  const hasher = createHash(algorithm);
  for await (const chunk of chunks) hasher.update(chunk);
  return { algorithm, digest: new Uint8Array(hasher.digest()) };
}

/** The problem with a fixed output, or `undefined` when it has the declared hash and no references. */
export async function fixedOutputProblem(
  output: BuiltOutput,
  kind: Extract<OutputKind, { kind: 'fixed' }>,
): Promise<string | undefined> {
  const expected = kind.hash;
  let actual: Hash;
  if (kind.method === 'flat') {
    const stats = await lstat(output.path);
    if (!stats.isFile() || (stats.mode & 0o100) !== 0) {
      return `the fixed output ${output.path} must be a regular, non-executable file`;
    }
    actual = await hashChunks(expected.algorithm, createReadStream(output.path));
  } else {
    actual = await hashChunks(expected.algorithm, dumpPath(output.path));
  }
  const want = printHash(expected, 'nix32', true);
  const got = printHash(actual, 'nix32', true);
  if (want !== got)
    return `hash mismatch in fixed-output derivation ${output.path}: specified ${want}, got ${got}`;
  if (output.references.length > 0) {
    return `the fixed output ${output.path} must not refer to store paths, but refers to ${output.references.join(', ')}`;
  }
  return undefined;
}
