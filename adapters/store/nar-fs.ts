/**
 * Feeds a tree on disk to the pure NAR serializer: walks it depth-first as `nix-store --dump` does
 * (entries in byte order of their names, executable = the owner's x bit, symlinks not followed) and
 * reads files in chunks, so a tree of any size streams through in bounded memory.
 */
import { lstat, open, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import {
  compareBytes,
  DerivationError,
  decodeUtf8,
  hashNarEvents,
  type NarDigest,
  type NarEvent,
  type NarPath,
  nameProblem,
  serializeNar,
} from '../../domain/derivation/index.ts';
import { StoreError, translateFsError } from './errors.ts';

const chunkSize = 64 * 1024;

async function* fileContents(file: string, path: NarPath, size: number): AsyncGenerator<NarEvent> {
  const handle = await open(file, 'r');
  try {
    let left = size;
    while (left > 0) {
      const buffer = new Uint8Array(Math.min(chunkSize, left));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0)
        throw new StoreError('TALLY_STORE_FILE_CHANGED', `${file} shrank while it was read`);
      left -= bytesRead;
      yield { type: 'contents', path, chunk: buffer.subarray(0, bytesRead) };
    }
  } finally {
    await handle.close();
  }
}

async function* walk(file: string, path: NarPath): AsyncGenerator<NarEvent> {
  const stats = await lstat(file);
  if (stats.isSymbolicLink()) {
    const target = decodeUtf8(await readlink(file, { encoding: 'buffer' }));
    if (target === undefined) {
      throw new DerivationError('TALLY_NAR_BAD_TARGET', `the target of symlink ${file} is not valid UTF-8`);
    }
    yield { type: 'symlink', path, target };
  } else if (stats.isFile()) {
    yield { type: 'file', path, executable: (stats.mode & 0o100) !== 0, size: stats.size };
    yield* fileContents(file, path, stats.size);
  } else if (stats.isDirectory()) {
    yield { type: 'directory', path };
    const names = (await readdir(file, { encoding: 'buffer' })).map((name) => new Uint8Array(name));
    names.sort(compareBytes);
    for (const raw of names) {
      const problem = nameProblem(raw);
      const name = decodeUtf8(raw);
      if (problem || name === undefined) {
        throw new DerivationError(
          'TALLY_NAR_BAD_NAME',
          `cannot archive ${problem}: in ${file}: ${JSON.stringify(Buffer.from(raw).toString('latin1'))}`,
        );
      }
      yield* walk(join(file, name), [...path, name]);
    }
    yield { type: 'directory-end', path };
  } else {
    throw new StoreError('TALLY_STORE_UNSUPPORTED_FILE', `${file} is not a file, directory or symlink`);
  }
}

/** The events of the tree at `root` (a file, directory or symlink). */
export async function* readTree(root: string): AsyncGenerator<NarEvent> {
  try {
    yield* walk(root, []);
  } catch (error) {
    throw translateFsError(error, root);
  }
}

/** The NAR of the tree at `root`, as a stream of chunks. */
export function dumpPath(root: string): AsyncGenerator<Uint8Array> {
  return serializeNar(readTree(root));
}

/** NAR hash and size of the tree at `root`. */
export function hashPath(root: string): Promise<NarDigest> {
  return hashNarEvents(readTree(root));
}
