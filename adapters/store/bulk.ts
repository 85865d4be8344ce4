/**
 * The file store's operations on many paths at once, for garbage collection: every record read
 * from the valid-path log, a batch of paths made invalid by one entry of the log (one fsync), the
 * content of invalid paths deleted with unlinks on a few threads (`unlink-pool.ts`). The `Store`
 * port goes one path at a time, which puts a collection over 100,000 paths at minutes.
 *
 * The store's rules hold: a path is invalid before its content goes, so a crash never leaves a
 * registered path with missing content; a batch goes at once (one entry), so no registered path is
 * left referring to a path of the batch; and a path registered since the caller last read the
 * records that refers to a path of the batch keeps that path (and what it refers to in the batch).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileStoreLayout } from './layout.ts';
import type { ValidPathInfo } from './store.ts';
import { checkStorePath } from './store-paths.ts';
import { createUnlinkPool } from './unlink-pool.ts';
import { type LogMark, openValidLog, type ValidLog } from './valid-log.ts';
import { encodeRemove } from './valid-log-format.ts';

/** A path to unregister, with what it refers to. */
export interface Unregistering {
  readonly path: string;
  readonly references: readonly string[];
}

/** A path whose content to delete, with the file hash naming its compressed NAR. */
export interface Deleting {
  readonly path: string;
  readonly fileHash: string;
}

/** Batch operations on the file store at `storeDir` and `stateDir`. */
export interface StoreBulk {
  /** Every valid path's record, each passed through `pick` (so a caller keeps only what it needs). */
  scan<T>(pick: (info: ValidPathInfo) => T): Promise<T[]>;
  /** The records of the paths made valid since the last `scan` or `scanNew`. */
  scanNew<T>(pick: (info: ValidPathInfo) => T): Promise<T[]>;
  /** True when `path` is valid now. */
  isValid(path: string): Promise<boolean>;
  /**
   * Makes `paths` invalid at once, durably before it resolves, except those that a path made
   * valid since the last scan refers to (with what they refer to among `paths`). Returns the paths
   * it made invalid.
   */
  unregister<T extends Unregistering>(paths: readonly T[]): Promise<T[]>;
  /**
   * Deletes the tree and (when no valid path still has it) the compressed NAR file of each path
   * that is not valid; a valid one was imported again and is left alone. Idempotent, so it also
   * finishes what a crash interrupted.
   */
  deleteContent(paths: readonly Deleting[]): Promise<void>;
  /**
   * Rewrites the log without the entries of invalid paths when they take more room than the rest,
   * and deletes the compressed NAR files that no valid path has.
   */
  compact(): Promise<void>;
}

/** The paths of a batch that must stay because `kept` (outside the batch) refer to them. */
export function keptInBatch<T extends Unregistering>(
  batch: readonly T[],
  keptReferences: Iterable<string>,
): Set<string> {
  const byPath = new Map(batch.map((item) => [item.path, item]));
  const kept = new Set<string>();
  const pending = [...keptReferences];
  while (pending.length > 0) {
    const path = pending.pop()!;
    const item = byPath.get(path);
    if (!item || kept.has(path)) continue;
    kept.add(path);
    pending.push(...item.references);
  }
  return kept;
}

const narSuffix = '.nar.zst';

export function openStoreBulk(storeDir: string, stateDir: string): StoreBulk {
  const layout = fileStoreLayout(stateDir);
  // Checked, not sliced: a path that is not a store path of this store (`..`, another directory)
  // must never name a tree to delete nor an entry to remove. Throws TALLY_STORE_BAD_PATH.
  const checked = (path: string) => checkStorePath(storeDir, path);
  const unlinks = createUnlinkPool();
  let opened: Promise<ValidLog> | undefined;
  let mark: LogMark | undefined;
  const validLog = () => {
    opened ??= openValidLog(layout.validLog, layout.lock, layout.dirs.tmp);
    return opened;
  };
  const isValidIn = (log: ValidLog, path: string) => {
    const { hashPart, baseName } = checked(path);
    return log.lookup(hashPart)?.baseName === baseName;
  };

  return {
    async scan(pick) {
      const log = await validLog();
      log.refresh();
      mark = log.mark();
      return log.readRecords(log.entries(), pick);
    },
    async scanNew(pick) {
      const log = await validLog();
      log.refresh();
      const fresh = mark ? log.addedSince(mark) : log.entries();
      mark = log.mark();
      return log.readRecords(fresh, pick);
    },
    async isValid(path) {
      const log = await validLog();
      log.refresh();
      return isValidIn(log, path);
    },
    async unregister(paths) {
      const log = await validLog();
      return log.locked(async () => {
        const fresh = mark ? log.addedSince(mark) : [];
        const kept = keptInBatch(paths, log.readRecords(fresh, (info) => info.references).flat());
        const going = paths.filter((item) => !kept.has(item.path) && isValidIn(log, item.path));
        if (going.length > 0)
          await log.append(encodeRemove(going.map((item) => checked(item.path).hashPart)));
        return paths.filter((item) => !kept.has(item.path));
      });
    },
    async deleteContent(paths) {
      const log = await validLog();
      // Under the lock: an import moving the same path back into place waits for the unlinks.
      await log.locked(async () => {
        const garbage = paths.filter((item) => !isValidIn(log, item.path));
        const nars = new Set<string>();
        for (const { fileHash } of garbage) {
          const nix32 = fileHash.replace(/^sha256:/, '');
          if (log.fileHashUsers(nix32) === 0) nars.add(layout.narFile(nix32));
        }
        await Promise.all([
          unlinks.unlink(
            garbage.map(({ path }) => checked(path).path),
            { trees: true },
          ),
          unlinks.unlink([...nars]),
        ]);
      });
    },
    async compact() {
      const log = await validLog();
      await log.locked(async () => {
        const dead = log.deadBytes();
        if (dead > 1024 * 1024 && dead * 2 > log.mark().end) await log.compact();
        // NAR files no valid path has: a crash came between moving one into place and its record.
        const orphans = (await readdir(layout.dirs.nar))
          .filter((name) => name.endsWith(narSuffix))
          .filter((name) => log.fileHashUsers(name.slice(0, -narSuffix.length)) === 0);
        await unlinks.unlink(orphans.map((name) => join(layout.dirs.nar, name)));
      });
    },
  };
}
