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
 * system calls per file (`open`, `fstat`, `read`, `close`: the directory listing already says which
 * entries are files) and about one yield per MiB, not several small arrays and awaits per entry.
 * Names and targets are written as the raw bytes read from disk, after the checks Nix makes.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  constants,
  type Dirent,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
  type Stats,
} from 'node:fs';
import { setImmediate } from 'node:timers/promises';
import {
  createNarHasher,
  DerivationError,
  type Hasher,
  type NarDigest,
  nameProblem,
  targetProblem,
} from '../../domain/derivation/index.ts';
import { createNarWriter, type NarWriter } from '../../domain/derivation/nar-writer.ts';
import { StoreError, translateFsError } from './errors.ts';

/** An open directory of the walk: its path, its sorted entries, and the next one to write. */
interface OpenDirectory {
  readonly file: string;
  readonly entries: readonly Dirent<Buffer>[];
  next: number;
}

const latin1 = (raw: Uint8Array) => JSON.stringify(Buffer.from(raw).toString('latin1'));

const byName = (a: Dirent<Buffer>, b: Dirent<Buffer>) => Buffer.compare(a.name, b.name);

/** The entries of a directory in NAR order, refusing names a NAR cannot hold. */
function sortedEntries(file: string): Dirent<Buffer>[] {
  const entries = readdirSync(file, { encoding: 'buffer', withFileTypes: true });
  entries.sort(byName);
  for (const { name } of entries) {
    const problem = nameProblem(name);
    if (problem)
      throw new DerivationError(
        'TALLY_NAR_BAD_NAME',
        `cannot archive ${problem}: in ${file}: ${latin1(name)}`,
      );
  }
  return entries;
}

/** Writes a whole regular file node from `fd`, its contents read straight into the writer's chunks. */
function* writeFile(writer: NarWriter, file: string, fd: number, stats: Stats): Generator<Uint8Array> {
  const size = stats.size;
  writer.file((stats.mode & 0o100) !== 0, size);
  let left = size;
  while (left > 0) {
    const room = writer.room();
    const bytesRead = readSync(fd, room.buffer, room.offset, Math.min(room.length, left), null);
    if (bytesRead === 0) throw new StoreError('TALLY_STORE_FILE_CHANGED', `${file} shrank while it was read`);
    writer.advance(bytesRead);
    left -= bytesRead;
    // A big file fills chunks of its own: hand them out as they fill, not all at its end.
    if (left > 0) yield* writer.take();
  }
  writer.fileEnd(size);
}

// O_NOFOLLOW and O_NONBLOCK: should the entry have become a symlink or a FIFO since the directory
// was read, the open fails or returns at once instead of following the link or waiting for a writer.
const openRegular = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * Writes an entry that the directory listing says is a regular file: `open` then `fstat`, one path
 * lookup instead of two for `lstat` then `open`. Returns false (nothing written) when it is not one
 * after all, for the caller to look again with `lstat`.
 */
function* writeListedFile(writer: NarWriter, file: string): Generator<Uint8Array, boolean> {
  let fd: number;
  try {
    fd = openSync(file, openRegular);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') return false;
    throw error;
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) return false;
    yield* writeFile(writer, file, fd, stats);
    return true;
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes the node at `file` (whose `lstat` is `stats`) up to its contents: a whole file or symlink,
 * or the head of a directory, whose entries the caller walks. Returns the directory's sorted entries.
 */
function* writeNode(
  writer: NarWriter,
  file: string,
  stats: Stats,
): Generator<Uint8Array, Dirent<Buffer>[] | undefined> {
  if (stats.isFile()) {
    const fd = openSync(file, openRegular);
    try {
      yield* writeFile(writer, file, fd, stats);
    } finally {
      closeSync(fd);
    }
    return undefined;
  }
  if (stats.isDirectory()) {
    const entries = sortedEntries(file);
    writer.directory();
    return entries;
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
  const rootEntries = yield* writeNode(writer, root, lstatSync(root));
  const open: OpenDirectory[] = rootEntries ? [{ file: root, entries: rootEntries, next: 0 }] : [];
  while (open.length > 0) {
    const directory = open[open.length - 1]!;
    if (directory.next === directory.entries.length) {
      open.pop();
      writer.nodeEnd();
      if (open.length > 0) writer.entryEnd();
      continue;
    }
    const entry = directory.entries[directory.next++]!;
    const file = `${directory.file}/${entry.name.toString('utf8')}`;
    writer.entry(entry.name);
    if (entry.isFile() && (yield* writeListedFile(writer, file))) {
      writer.entryEnd();
    } else {
      const entries = yield* writeNode(writer, file, lstatSync(file));
      if (entries) open.push({ file, entries, next: 0 });
      else writer.entryEnd();
    }
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

/** SHA-256 through node:crypto, as a domain `Hasher` (for `createNarHasher`). */
export function createNativeSha256(): Hasher {
  const native = createHash('sha256');
  const hasher: Hasher = {
    update(chunk) {
      native.update(chunk);
      return hasher;
    },
    digest: () => ({ algorithm: 'sha256', digest: new Uint8Array(native.digest()) }),
  };
  return hasher;
}

/** NAR hash and size of the tree at `root`, hashed chunk by chunk as it is written. */
export async function hashPath(root: string): Promise<NarDigest> {
  const hasher = createNarHasher(createNativeSha256());
  try {
    for (const chunk of narChunks(root)) {
      hasher.update(chunk);
      // Hashing a large tree must not hold the event loop for its whole length.
      await setImmediate();
    }
  } catch (error) {
    throw translateFsError(error, root);
  }
  return hasher.digest();
}
