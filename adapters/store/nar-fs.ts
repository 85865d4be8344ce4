/**
 * The NAR of a tree on disk, as `nix-store --dump` writes it: depth-first, entries in byte order of
 * their names, executable = the owner's x bit, symlinks not followed. The archive streams out in
 * chunks of 1 MiB, so a tree of any size passes through in bounded memory.
 *
 * Speed comes from doing per entry only what the format needs: the walk uses the synchronous
 * file-system calls (through the thread pool each `lstat`/`open`/`read`/`close` costs a round trip
 * that dwarfs the call itself, while a synchronous call blocks the event loop for microseconds, and
 * the loop gets its turn back at every chunk); tokens are copied into the current chunk and file
 * contents read straight into it (`createNarWriter`), so a tree of 50,000 small files costs four
 * system calls per file and about one yield per MiB, not several small arrays and awaits per entry.
 * Names and targets are written as the raw bytes read from disk, after the checks Nix makes.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  constants,
  lstatSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
  type Stats,
} from 'node:fs';
import { setImmediate } from 'node:timers/promises';
import {
  DerivationError,
  type NarDigest,
  nameProblem,
  targetProblem,
} from '../../domain/derivation/index.ts';
import { createNarWriter, type NarWriter } from '../../domain/derivation/nar-writer.ts';
import { StoreError, translateFsError } from './errors.ts';

/** An open directory of the walk: its path, its sorted entry names, and the next one to write. */
interface OpenDirectory {
  readonly file: string;
  readonly names: readonly Buffer[];
  next: number;
}

const latin1 = (raw: Uint8Array) => JSON.stringify(Buffer.from(raw).toString('latin1'));

/** The entries of a directory in NAR order, refusing names a NAR cannot hold. */
function sortedEntries(file: string): Buffer[] {
  const names = readdirSync(file, { encoding: 'buffer' });
  names.sort(Buffer.compare);
  for (const raw of names) {
    const problem = nameProblem(raw);
    if (problem)
      throw new DerivationError(
        'TALLY_NAR_BAD_NAME',
        `cannot archive ${problem}: in ${file}: ${latin1(raw)}`,
      );
  }
  return names;
}

/** Writes the contents of a regular file of `size` bytes, read straight into the writer's chunks. */
function* writeContents(writer: NarWriter, file: string, size: number): Generator<Uint8Array> {
  const fd = openSync(file, constants.O_RDONLY);
  try {
    let left = size;
    while (left > 0) {
      const room = writer.room();
      const bytesRead = readSync(fd, room.buffer, room.offset, Math.min(room.length, left), null);
      if (bytesRead === 0)
        throw new StoreError('TALLY_STORE_FILE_CHANGED', `${file} shrank while it was read`);
      writer.advance(bytesRead);
      left -= bytesRead;
      // A big file fills chunks of its own: hand them out as they fill, not all at its end.
      if (left > 0) yield* writer.take();
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes the node at `file` (whose `lstat` is `stats`) up to its contents: a whole file or symlink,
 * or the head of a directory, whose entries the caller walks. Returns the directory's sorted names.
 */
function* writeNode(
  writer: NarWriter,
  file: string,
  stats: Stats,
): Generator<Uint8Array, Buffer[] | undefined> {
  if (stats.isFile()) {
    writer.file((stats.mode & 0o100) !== 0, stats.size);
    yield* writeContents(writer, file, stats.size);
    writer.fileEnd(stats.size);
    return undefined;
  }
  if (stats.isDirectory()) {
    const names = sortedEntries(file);
    writer.directory();
    return names;
  }
  if (stats.isSymbolicLink()) {
    const target = readlinkSync(file, { encoding: 'buffer' });
    const problem = targetProblem(target);
    if (problem) throw new DerivationError('TALLY_NAR_BAD_TARGET', `cannot archive ${problem}: ${file}`);
    writer.symlink(target);
    return undefined;
  }
  throw new StoreError('TALLY_STORE_UNSUPPORTED_FILE', `${file} is not a file, directory or symlink`);
}

/** The NAR chunks of the tree at `root`, produced synchronously: one flat loop over a stack of open directories. */
function* narChunks(root: string): Generator<Uint8Array> {
  const writer = createNarWriter({ allocate: (size) => Buffer.allocUnsafeSlow(size) });
  writer.magic();
  const rootNames = yield* writeNode(writer, root, lstatSync(root));
  const open: OpenDirectory[] = rootNames ? [{ file: root, names: rootNames, next: 0 }] : [];
  while (open.length > 0) {
    const directory = open[open.length - 1]!;
    if (directory.next === directory.names.length) {
      open.pop();
      writer.nodeEnd();
      if (open.length > 0) writer.entryEnd();
      continue;
    }
    const name = directory.names[directory.next++]!;
    const file = `${directory.file}/${name.toString('utf8')}`;
    writer.entry(name);
    const names = yield* writeNode(writer, file, lstatSync(file));
    if (names) open.push({ file, names, next: 0 });
    else writer.entryEnd();
    yield* writer.take();
  }
  yield* writer.take();
  yield* writer.finish();
}

/** The NAR of the tree at `root` (a file, directory or symlink), as a stream of chunks of up to 1 MiB. */
export async function* dumpPath(root: string): AsyncGenerator<Uint8Array> {
  try {
    yield* narChunks(root);
  } catch (error) {
    throw translateFsError(error, root);
  }
}

/** NAR hash and size of the tree at `root`, hashed chunk by chunk as it is written. */
export async function hashPath(root: string): Promise<NarDigest> {
  const hasher = createHash('sha256');
  let size = 0;
  try {
    for (const chunk of narChunks(root)) {
      hasher.update(chunk);
      size += chunk.length;
      // Hashing a large tree must not hold the event loop for its whole length.
      await setImmediate();
    }
  } catch (error) {
    throw translateFsError(error, root);
  }
  return { hash: { algorithm: 'sha256', digest: new Uint8Array(hasher.digest()) }, size };
}
