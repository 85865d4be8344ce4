/**
 * The file store's operations on many paths at once, for garbage collection: every record read,
 * a batch of paths unregistered with one fsync, the content of unregistered paths deleted. The
 * `Store` port goes one path at a time (`list` reads records one after another, `remove` fsyncs
 * per path), which puts a collection over 100,000 paths at minutes. Here unlinks, which wait on the
 * file system's journal, run several at once on a few threads (`unlink-pool.ts`); reads and stats,
 * which do not wait, are synchronous calls in slices that leave the event loop free (`slices.ts`).
 *
 * The store's rule holds: a record goes before its content, so a crash never leaves a registered
 * path with missing content; and a path's record goes only after the records of the paths of the
 * same batch that refer to it, so a crash never leaves a registered path whose reference is gone.
 */
import { readFileSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDirectory } from './atomic.ts';
import { fileStoreLayout } from './layout.ts';
import { parseRecord } from './records.ts';
import { inSlices, isMissing } from './slices.ts';
import type { ValidPathInfo } from './store.ts';
import { checkStorePath } from './store-paths.ts';
import { createUnlinkPool } from './unlink-pool.ts';

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
  /**
   * The names of the records of every valid path, in directory order, leaving out those in
   * `known` (so a caller that lists again finds what is new without a copy of 100,000 names).
   */
  recordNames(known?: ReadonlySet<string>): Promise<string[]>;
  /**
   * The records named (by `recordNames`), each passed through `pick` as it is read (so a caller
   * keeps only what it needs of 100,000 records); a record removed since the listing is skipped.
   * Throws `TALLY_STORE_CORRUPT_RECORD` naming a record that does not parse.
   */
  readRecords<T>(names: readonly string[], pick: (info: ValidPathInfo) => T): Promise<T[]>;
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

/** True when `file` exists. */
const isFile = (file: string) => statSync(file, { throwIfNoEntry: false }) !== undefined;

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
  // Checked, not sliced: a path that is not a store path of this store (`..`, another directory)
  // must never name a tree to delete nor a record to remove. Throws TALLY_STORE_BAD_PATH.
  const hashPartOf = (path: string) => checkStorePath(storeDir, path).hashPart;
  const unlinks = createUnlinkPool();

  return {
    async recordNames(known) {
      const names: string[] = [];
      for (const name of await readdir(layout.dirs.valid))
        if (!known?.has(name) && name.endsWith(recordSuffix)) names.push(name);
      return names;
    },
    async readRecords(names, pick) {
      const picked: ReturnType<typeof pick>[] = [];
      await inSlices(names, (name) => {
        const file = join(layout.dirs.valid, name);
        let text: string;
        try {
          text = readFileSync(file, 'utf8');
        } catch (error) {
          if (isMissing(error)) return; // removed since the listing: no longer valid
          throw error;
        }
        picked.push(pick(parseRecord(text, file)));
      });
      return picked;
    },
    isValid: async (path) => isFile(layout.recordFile(hashPartOf(path))),
    async unregister(paths) {
      for (const wave of unregisterWaves(paths))
        await unlinks.unlink(wave.map((item) => layout.recordFile(hashPartOf(item.path))));
      await syncDirectory(layout.dirs.valid);
    },
    async deleteContent(paths) {
      const records = await unlinks.stat(paths.map(({ path }) => layout.recordFile(hashPartOf(path))));
      const garbage = paths.filter((_, index) => records.inodes[index] === 0);
      await Promise.all([
        unlinks.unlink(
          garbage.map(({ path }) => path),
          { trees: true },
        ),
        unlinks.unlink(garbage.map(({ path }) => layout.narOf(hashPartOf(path)))),
      ]);
      // With the links of these paths gone, a NAR left with one link (its own name) is no one's.
      const nars = [...new Set(garbage.map(({ fileHash }) => layout.narFile(fileHash)))];
      const { links } = await unlinks.stat(nars);
      await unlinks.unlink(nars.filter((_, index) => links[index] === 1));
    },
  };
}
