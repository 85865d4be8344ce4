/**
 * The file store's operations on many paths at once, for garbage collection: every record read,
 * a batch of paths unregistered with one fsync, the content of unregistered paths deleted. The
 * `Store` port goes one path at a time (`list` reads records one after another, `remove` fsyncs
 * per path), which puts a collection over 100,000 paths at minutes; here several file-system calls
 * are in flight at once (`in-flight.ts`).
 *
 * The store's rule holds: a record goes before its content, so a crash never leaves a registered
 * path with missing content; and a path's record goes only after the records of the paths of the
 * same batch that refer to it, so a crash never leaves a registered path whose reference is gone.
 */
import { readdir } from 'node:fs/promises';
import { syncDirectory } from './atomic.ts';
import {
  exists,
  forEachInFlight,
  linkCount,
  readSmallFile,
  smallFileBuffer,
  unlinkIfPresent,
} from './in-flight.ts';
import { fileStoreLayout } from './layout.ts';
import { parseRecord } from './records.ts';
import { removeTree } from './remove-tree.ts';
import type { ValidPathInfo } from './store.ts';

/** A path to unregister, with what it refers to (so referrers go first). */
export interface Unregistering {
  readonly path: string;
  readonly references: readonly string[];
}

/** A path whose content to delete, with the file hash naming its (maybe shared) compressed NAR. */
export interface Deleting {
  readonly path: string;
  readonly fileHash: string;
}

/** Batch operations on the file store at `storeDir` and `stateDir`. */
export interface StoreBulk {
  /** Hash parts of every valid path (the record files' names), in directory order. */
  hashParts(): Promise<string[]>;
  /**
   * The records of `hashParts`, each passed through `pick` as it is read (so a caller keeps only
   * what it needs of 100,000 records); a record removed since the listing is skipped. Throws
   * `TALLY_STORE_CORRUPT_RECORD` naming a record that does not parse.
   */
  readRecords<T>(hashParts: readonly string[], pick: (info: ValidPathInfo) => T): Promise<T[]>;
  /** True when `path` is valid now. */
  isValid(path: string): Promise<boolean>;
  /**
   * Makes `paths` invalid, durably before it resolves (one fsync of the records directory). A path
   * goes only once every path listed before it that refers to it has gone; paths with no such
   * order between them go together.
   */
  unregister(paths: readonly Unregistering[]): Promise<void>;
  /**
   * Deletes the tree and compressed NAR of each path that is not valid (a valid one was imported
   * again: its content is not garbage); a NAR shared with another path stays until its last link
   * goes. Idempotent, so it also finishes what a crash interrupted.
   */
  deleteContent(paths: readonly Deleting[]): Promise<void>;
}

const recordSuffix = '.json';

/** Deletes a store tree: one unlink for a file or symlink, the read-only-aware walk for a directory. */
async function removeStoreTree(path: string): Promise<void> {
  try {
    await unlinkIfPresent(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM') throw error;
    await removeTree(path);
  }
}

/**
 * The batch's paths grouped into waves: a path is in a later wave than every path listed before
 * it that refers to it.
 */
export function unregisterWaves<T extends Unregistering>(paths: readonly T[]): T[][] {
  const earliest = new Map<string, number>();
  const placed = new Set<string>();
  const waves: T[][] = [];
  for (const item of paths) {
    if (placed.has(item.path)) continue;
    const own = earliest.get(item.path) ?? 0;
    if (own === waves.length) waves.push([]);
    waves[own]!.push(item);
    placed.add(item.path);
    for (const reference of item.references) {
      // A reference listed before its referrer keeps its place: the order given wins.
      if (reference === item.path || placed.has(reference)) continue;
      earliest.set(reference, Math.max(earliest.get(reference) ?? 0, own + 1));
    }
  }
  return waves;
}

export function openStoreBulk(storeDir: string, stateDir: string): StoreBulk {
  const layout = fileStoreLayout(stateDir);
  const hashPartOf = (path: string) => path.slice(storeDir.length + 1, storeDir.length + 33);

  return {
    async hashParts() {
      const names = await readdir(layout.dirs.valid);
      return names.filter((name) => name.endsWith(recordSuffix)).map((name) => name.slice(0, -5));
    },
    async readRecords(hashParts, pick) {
      const picked: (ReturnType<typeof pick> | undefined)[] = new Array(hashParts.length);
      const buffers: Buffer[] = [];
      await forEachInFlight(hashParts, async (hashPart, index) => {
        const buffer = buffers.pop() ?? smallFileBuffer();
        try {
          const file = layout.recordFile(hashPart);
          const text = await readSmallFile(file, buffer);
          if (text !== undefined) picked[index] = pick(parseRecord(text, file));
        } finally {
          buffers.push(buffer);
        }
      });
      return picked.filter((record) => record !== undefined) as ReturnType<typeof pick>[];
    },
    isValid: (path) => exists(layout.recordFile(hashPartOf(path))),
    async unregister(paths) {
      for (const wave of unregisterWaves(paths)) {
        await forEachInFlight(wave, async (item) => {
          await unlinkIfPresent(layout.recordFile(hashPartOf(item.path)));
        });
      }
      await syncDirectory(layout.dirs.valid);
    },
    async deleteContent(paths) {
      await forEachInFlight(paths, async ({ path, fileHash }) => {
        const hashPart = hashPartOf(path);
        if (await exists(layout.recordFile(hashPart))) return;
        await removeStoreTree(path);
        await unlinkIfPresent(layout.narOf(hashPart));
        // Whoever drops the second-to-last link sees one left (the NAR's own name) and deletes it.
        const shared = layout.narFile(fileHash);
        if ((await linkCount(shared)) === 1) await unlinkIfPresent(shared);
      });
    },
  };
}
