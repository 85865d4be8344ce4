/**
 * Trees, NARs and stores for the store and binary-cache tests: a small tree with every kind of NAR
 * node, its content-addressed store path, and a fresh file store in a temporary directory.
 */
import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openFileStore } from '../../../adapters/store/file-store.ts';
import { dumpPath, hashPath } from '../../../adapters/store/nar-fs.ts';
import type { Store } from '../../../adapters/store/store.ts';
import { makeSourcePath, printNarHash } from '../../../domain/derivation/index.ts';
import { tempDir } from '../../helpers/uvu.ts';

/** A file store in a fresh temporary directory. */
export interface StoreFixture {
  readonly root: string;
  readonly storeDir: string;
  readonly stateDir: string;
  readonly store: Store;
  reopen(): Promise<Store>;
  cleanup(): Promise<void>;
}

export async function createStoreFixture(prefix = 'tally-store-'): Promise<StoreFixture> {
  const dir = await tempDir(prefix);
  const storeDir = join(dir.path, 'nix', 'store');
  const stateDir = join(dir.path, 'state');
  const reopen = () => openFileStore({ storeDir, stateDir });
  return { root: dir.path, storeDir, stateDir, store: await reopen(), reopen, cleanup: dir.cleanup };
}

/** Writes a tree with a file, an executable, a symlink and a subdirectory; `extra` goes in a file. */
export async function writeSampleTree(at: string, extra = ''): Promise<void> {
  await mkdir(join(at, 'bin'), { recursive: true });
  await writeFile(join(at, 'README'), `a sample tree\n${extra}`);
  await writeFile(join(at, 'bin', 'hello'), '#!/bin/sh\necho hello\n');
  await chmod(join(at, 'bin', 'hello'), 0o755);
  await symlink('bin/hello', join(at, 'hello'));
}

/** A tree as an importable NAR: its bytes, hash, size and content-addressed store path. */
export interface SampleNar {
  readonly path: string;
  readonly nar: Uint8Array;
  readonly narHash: string;
  readonly narSize: number;
  readonly references: string[];
}

export async function sampleNar(
  source: string,
  name: string,
  storeDir: string,
  references: string[] = [],
): Promise<SampleNar> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of dumpPath(source)) chunks.push(chunk.slice());
  const digest = await hashPath(source);
  return {
    path: makeSourcePath(name, digest.hash, references, storeDir),
    nar: Buffer.concat(chunks),
    narHash: printNarHash(digest.hash),
    narSize: digest.size,
    references,
  };
}

/** Yields `bytes` in pieces of `size`, as a network stream would deliver them. */
export async function* inPieces(bytes: Uint8Array, size = 1000): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}
