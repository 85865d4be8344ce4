/**
 * The valid-path log: one append-only file, `<state>/valid.log`, that says which paths are valid
 * (format in `valid-log-format.ts`). It replaces a record file per path: a garbage collection makes
 * 25,000 paths invalid with one append and one fsync, and deletes no file per record, which on a
 * disk with online discard costs as much as deleting the path itself.
 *
 * Every process that opens the store keeps an index of the log in memory (where each valid path's
 * entry is) and brings it up to date before each use by reading what was appended since (a stat
 * when nothing was). Writers append under the store's lock (`store-lock.ts`), each entry with one
 * positional write followed by fdatasync; a crash mid-append leaves an entry cut short at the end,
 * which readers ignore and the next writer cuts off. Compaction rewrites the live entries into a
 * new file that replaces the log by `rename`; a reader notices the new inode and reads it whole.
 * No file descriptor is kept between calls: every read checks that the file it opened is the one
 * its index describes.
 */
import { closeSync, existsSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { syncDirectory, tempName } from './atomic.ts';
import { StoreError } from './errors.ts';
import { parseRecord } from './records.ts';
import type { ValidPathInfo } from './store.ts';
import { withStoreLock } from './store-lock.ts';
import { type AddedEntry, logHeader, logHeaderLength, logId, parseEntry } from './valid-log-format.ts';
import { createLogIndex } from './valid-log-index.ts';

const readChunk = 4 * 1024 * 1024;

/** Writes all of `bytes` at `position` of the file. */
async function writeAt(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  for (let written = 0; written < bytes.length; ) {
    written += (await handle.write(bytes, written, bytes.length - written, position + written)).bytesWritten;
  }
}

/** A place in the log: entries after it are what was appended since. */
export interface LogMark {
  readonly id: string;
  readonly end: number;
}

export interface ValidLog {
  readonly file: string;
  /** Reads what other processes appended (or the whole log, when it was replaced). */
  refresh(): void;
  /** The entry of the valid path with this hash part. */
  lookup(hashPart: string): AddedEntry | undefined;
  /** The valid entries, in log order. */
  entries(): AddedEntry[];
  /** A valid entry whose compressed NAR has this file hash (nix32). */
  byFileHash(fileHash: string): AddedEntry | undefined;
  /** How many valid paths have this compressed NAR. */
  fileHashUsers(fileHash: string): number;
  /** The record of an entry (read from the file). */
  record(entry: AddedEntry): ValidPathInfo;
  /** The records of `entries` (in log order), each through `pick`, read in large runs. */
  readRecords<T>(entries: readonly AddedEntry[], pick: (info: ValidPathInfo) => T): T[];
  /** The inline compressed NAR of an entry. */
  inlineNar(entry: AddedEntry): Buffer;
  /** Where the index is now. */
  mark(): LogMark;
  /** Valid entries appended after `mark` (all of them when the log was replaced since). */
  addedSince(mark: LogMark): AddedEntry[];
  /** Bytes of the log that no valid entry needs. */
  deadBytes(): number;
  /** Runs `work` holding the store's write lock, with the index up to date. */
  locked<T>(work: () => Promise<T>): Promise<T>;
  /** Appends entries (inside `locked`), durably, and reads them into the index. */
  append(bytes: Buffer): Promise<void>;
  /** Rewrites the log with only its valid entries (inside `locked`). */
  compact(): Promise<void>;
}

// One index per log file in a process: the store and a collection's batch operations share it.
const opened = new Map<string, Promise<ValidLog>>();

/**
 * The log at `file` (creating it if there is none), with its index; the same one for every caller
 * in this process.
 */
export function openValidLog(file: string, lockFile: string, tmpDir: string): Promise<ValidLog> {
  let log = opened.get(file);
  // A log deleted since (its directory removed and made again) is a new store.
  if (!log || !existsSync(file)) {
    log = createValidLog(file, lockFile, tmpDir);
    opened.set(file, log);
    log.catch(() => opened.delete(file));
  }
  return log;
}

async function createValidLog(file: string, lockFile: string, tmpDir: string): Promise<ValidLog> {
  const index = createLogIndex();
  let inode = -1;
  let id = '';
  let parsedEnd = 0;
  let size = 0;

  /** Throws when a complete entry follows the damage at `at` (real damage, not a cut-short write). */
  function checkDamage(fd: number, at: number, end: number, detail: string): void {
    const rest = Buffer.allocUnsafe(end - at);
    readSync(fd, rest, 0, rest.length, at);
    // Entries are not separated: try every 'A ' and 'R ' (the checksum rules out chance matches).
    for (let start = 1; start < rest.length - 1; start++) {
      if (!((rest[start] === 0x41 || rest[start] === 0x52) && rest[start + 1] === 0x20)) continue;
      if (parseEntry(rest, start, at).status === 'entry') {
        throw new StoreError(
          'TALLY_STORE_DAMAGED_LOG',
          `${file} is damaged at byte ${at} (${detail}) and has entries after it; restore it from a backup, or ` +
            `cut it at byte ${at} (paths registered after that point become invalid and are built again)`,
        );
      }
    }
  }

  /** Reads entries from `parsedEnd` to `end` of the open log `fd`. */
  function readEntries(fd: number, end: number): void {
    let pending = Buffer.alloc(0);
    let base = parsedEnd;
    let position = parsedEnd;
    while (position < end) {
      const chunk = Buffer.allocUnsafe(Math.min(readChunk, end - position));
      const read = readSync(fd, chunk, 0, chunk.length, position);
      if (read === 0) break;
      position += read;
      pending =
        pending.length === 0 ? chunk.subarray(0, read) : Buffer.concat([pending, chunk.subarray(0, read)]);
      let at = 0;
      for (;;) {
        const parsed = parseEntry(pending, at, base);
        if (parsed.status === 'incomplete') break;
        if (parsed.status === 'damaged') {
          checkDamage(fd, base + at, end, parsed.detail);
          parsedEnd = base + at;
          return;
        }
        index.apply(parsed.entry);
        at = parsed.entry.end - base;
      }
      pending = pending.subarray(at);
      base += at;
    }
    parsedEnd = base;
  }

  /** The id in the first line of the open log `fd`. */
  function readId(fd: number): string {
    const head = Buffer.alloc(logHeaderLength);
    readSync(fd, head, 0, head.length, 0);
    const found = logId(head);
    if (found === undefined) {
      throw new StoreError(
        'TALLY_STORE_DAMAGED_LOG',
        `${file} does not start as a valid-path log of this version of Tally does; restore it from a backup`,
      );
    }
    return found;
  }

  function refresh(): void {
    const now = statSync(file);
    if (now.ino === inode && now.size === size) return;
    const fd = openSync(file, 'r');
    try {
      const opened = fstatSync(fd);
      const fileId = readId(fd);
      if (opened.ino !== inode || fileId !== id) {
        index.clear();
        inode = opened.ino;
        id = fileId;
        parsedEnd = logHeaderLength;
      }
      readEntries(fd, opened.size);
      size = opened.size;
    } finally {
      closeSync(fd);
    }
  }

  /** Reads `length` bytes at `offset` of the file the index describes (refreshing if it was replaced). */
  function readAt(entry: AddedEntry, offset: number, length: number): Buffer {
    for (let attempt = 0; ; attempt++) {
      const fd = openSync(file, 'r');
      try {
        if (fstatSync(fd).ino === inode) {
          const bytes = Buffer.allocUnsafe(length);
          const read = readSync(fd, bytes, 0, length, offset);
          if (read === length) return bytes;
        }
      } finally {
        closeSync(fd);
      }
      if (attempt > 2)
        throw new StoreError('TALLY_STORE_DAMAGED_LOG', `${file} changed under a read of ${entry.baseName}`);
      refresh();
      const current = index.lookup(entry.hashPart);
      if (!current) throw new StoreError('TALLY_STORE_NOT_FOUND', `${entry.baseName} is no longer valid`);
      offset += current.offset - entry.offset;
      entry = current;
    }
  }

  async function create(): Promise<void> {
    if (statSync(file, { throwIfNoEntry: false })) return;
    const temp = join(tmpDir, tempName('log-'));
    const handle = await open(temp, 'wx', 0o644);
    try {
      await writeAt(handle, logHeader(), 0);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
    await syncDirectory(dirname(file));
  }

  const log: ValidLog = {
    file,
    refresh,
    lookup: index.lookup,
    entries: index.entries,
    byFileHash: index.byFileHash,
    fileHashUsers: index.fileHashUsers,
    record(entry) {
      const json = readAt(entry, entry.jsonOffset, entry.jsonLength).toString('utf8');
      return parseRecord(json, `${file} (entry of ${entry.baseName})`);
    },
    readRecords(entries, pick) {
      const picked: ReturnType<typeof pick>[] = [];
      const fd = openSync(file, 'r');
      try {
        if (fstatSync(fd).ino !== inode) {
          closeSync(fd);
          return entries.map((entry) => pick(log.record(entry)));
        }
        let window = Buffer.alloc(0);
        let windowStart = 0;
        for (const entry of entries) {
          const start = entry.jsonOffset - windowStart;
          if (start < 0 || start + entry.jsonLength > window.length) {
            window = Buffer.allocUnsafe(Math.max(readChunk, entry.jsonLength));
            window = window.subarray(0, readSync(fd, window, 0, window.length, entry.jsonOffset));
            windowStart = entry.jsonOffset;
          }
          const at = entry.jsonOffset - windowStart;
          const json = window.toString('utf8', at, at + entry.jsonLength);
          picked.push(pick(parseRecord(json, `${file} (entry of ${entry.baseName})`)));
        }
      } finally {
        closeSync(fd);
      }
      return picked;
    },
    inlineNar: (entry) => readAt(entry, entry.narOffset, entry.narLength),
    mark: () => ({ id, end: parsedEnd }),
    addedSince: (mark) => (mark.id === id ? index.entriesFrom(mark.end) : index.entries()),
    deadBytes: () => parsedEnd - logHeaderLength - index.liveBytes(),
    locked: (work) =>
      withStoreLock(lockFile, async () => {
        refresh();
        return work();
      }),
    async append(bytes) {
      refresh();
      const handle = await open(file, 'r+');
      try {
        const { ino, size: onDisk } = await handle.stat();
        if (ino !== inode)
          throw new StoreError('TALLY_STORE_DAMAGED_LOG', `${file} was replaced while locked`);
        // Bytes past the last whole entry are a write a crash cut short: no one else writes now.
        if (onDisk > parsedEnd) await handle.truncate(parsedEnd);
        await writeAt(handle, bytes, parsedEnd);
        await handle.datasync();
      } finally {
        await handle.close();
      }
      refresh();
    },
    async compact() {
      refresh();
      const temp = join(tmpDir, tempName('log-'));
      const source = openSync(file, 'r');
      const target = await open(temp, 'wx', 0o644);
      try {
        // Live entries are gathered into large writes; the source is read in large windows.
        let written = 0;
        let out: Buffer[] = [logHeader()];
        let outBytes = logHeaderLength;
        const flush = async () => {
          const bytes = Buffer.concat(out, outBytes);
          await writeAt(target, bytes, written);
          written += bytes.length;
          out = [];
          outBytes = 0;
        };
        let window = Buffer.alloc(0);
        let windowStart = 0;
        const entries = log.entries();
        for (let first = 0; first < entries.length; ) {
          // Live entries next to each other are copied as one run.
          let last = first;
          while (last + 1 < entries.length && entries[last + 1]!.offset === entries[last]!.end) last++;
          for (let at = entries[first]!.offset, end = entries[last]!.end; at < end; ) {
            if (at < windowStart || at >= windowStart + window.length) {
              window = Buffer.allocUnsafe(readChunk);
              window = window.subarray(0, readSync(source, window, 0, window.length, at));
              windowStart = at;
              if (window.length === 0)
                throw new StoreError('TALLY_STORE_DAMAGED_LOG', `${file} ends before byte ${at}`);
            }
            const piece = window.subarray(
              at - windowStart,
              Math.min(end, windowStart + window.length) - windowStart,
            );
            out.push(piece);
            outBytes += piece.length;
            at += piece.length;
            if (outBytes >= readChunk) await flush();
          }
          first = last + 1;
        }
        await flush();
        await target.sync();
      } catch (error) {
        await rm(temp, { force: true });
        throw error;
      } finally {
        closeSync(source);
        await target.close();
      }
      await rename(temp, file);
      await syncDirectory(dirname(file));
      refresh();
    },
  };

  await withStoreLock(lockFile, create);
  refresh();
  return log;
}
