/**
 * Feeds a tree on disk to the pure NAR serializer: walks it depth-first as `nix-store --dump` does
 * (entries in byte order of their names, executable = the owner's x bit, symlinks not followed) and
 * reads files in chunks, so a tree of any size streams through in bounded memory.
 *
 * The walk uses the synchronous file-system calls, one file at a time, between async yields. A store
 * tree is tens of thousands of small files: through the thread pool each `lstat`/`open`/`read`/`close`
 * costs a round trip that dwarfs the call itself (the async walk ran at a tenth of `nix-store --dump`'s
 * speed), while each synchronous call blocks the event loop only for microseconds — and the loop
 * gets its turn back at every yield.
 */
import { closeSync, lstatSync, openSync, readdirSync, readlinkSync, readSync } from 'node:fs';
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

const chunkSize = 1024 * 1024;

function* fileContents(file: string, path: NarPath, size: number): Generator<NarEvent> {
  const fd = openSync(file, 'r');
  try {
    let left = size;
    while (left > 0) {
      const buffer = new Uint8Array(Math.min(chunkSize, left));
      const bytesRead = readSync(fd, buffer, 0, buffer.length, null);
      if (bytesRead === 0)
        throw new StoreError('TALLY_STORE_FILE_CHANGED', `${file} shrank while it was read`);
      left -= bytesRead;
      yield { type: 'contents', path, chunk: buffer.subarray(0, bytesRead) };
    }
  } finally {
    closeSync(fd);
  }
}

/** The entries of a directory in NAR order, refusing names a NAR cannot hold. */
function sortedEntries(file: string): string[] {
  const names = readdirSync(file, { encoding: 'buffer' }).map((name) => new Uint8Array(name));
  names.sort(compareBytes);
  return names.map((raw) => {
    const problem = nameProblem(raw);
    const name = decodeUtf8(raw);
    if (problem || name === undefined) {
      throw new DerivationError(
        'TALLY_NAR_BAD_NAME',
        `cannot archive ${problem}: in ${file}: ${JSON.stringify(Buffer.from(raw).toString('latin1'))}`,
      );
    }
    return name;
  });
}

type Pending = { readonly file: string; readonly path: NarPath } | { readonly end: NarPath };

/** The walk as one flat loop over an explicit stack: each event passes one generator, not one per level. */
function* walk(root: string): Generator<NarEvent> {
  const pending: Pending[] = [{ file: root, path: [] }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    if ('end' in next) {
      yield { type: 'directory-end', path: next.end };
      continue;
    }
    const { file, path } = next;
    const stats = lstatSync(file);
    if (stats.isSymbolicLink()) {
      const target = decodeUtf8(readlinkSync(file, { encoding: 'buffer' }));
      if (target === undefined) {
        throw new DerivationError('TALLY_NAR_BAD_TARGET', `the target of symlink ${file} is not valid UTF-8`);
      }
      yield { type: 'symlink', path, target };
    } else if (stats.isFile()) {
      yield { type: 'file', path, executable: (stats.mode & 0o100) !== 0, size: stats.size };
      yield* fileContents(file, path, stats.size);
    } else if (stats.isDirectory()) {
      yield { type: 'directory', path };
      const names = sortedEntries(file);
      pending.push({ end: path });
      for (let index = names.length - 1; index >= 0; index--) {
        pending.push({ file: join(file, names[index]!), path: [...path, names[index]!] });
      }
    } else {
      throw new StoreError('TALLY_STORE_UNSUPPORTED_FILE', `${file} is not a file, directory or symlink`);
    }
  }
}

/** The events of the tree at `root` (a file, directory or symlink). */
export async function* readTree(root: string): AsyncGenerator<NarEvent> {
  try {
    yield* walk(root);
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
