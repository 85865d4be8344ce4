/**
 * The collection's view of the file store (`adapters/store/file-store.ts`), through the store's
 * batch operations (`adapters/store/bulk.ts`): every record read with many reads in flight, a
 * chunk unregistered with one fsync and its content deleted with many unlinks in flight. The rule
 * is the store's own: the record goes first, the content after; and within a chunk, a path's
 * record after those of the paths that refer to it.
 */
import { openStoreBulk } from '../store/bulk.ts';
import type { Store, ValidPathInfo } from '../store/store.ts';
import type { GcStore, PathRecord } from './gc-store.ts';

/** What a collection keeps of a record (not its hashes and signatures: 100,000 of them add up). */
function toPathRecord(info: ValidPathInfo): PathRecord {
  return {
    path: info.path,
    references: info.references,
    registeredAt: info.registeredAt,
    bytes: info.narSize + info.file.fileSize,
    fileHash: info.file.fileHash,
  };
}

/** The collection's view of the file store at `stateDir`; pins come through the store port. */
export function createFileStoreGc(store: Store, stateDir: string): GcStore {
  const bulk = openStoreBulk(store.storeDir, stateDir);
  let seen = new Set<string>();

  return {
    storeDir: store.storeDir,
    async scan() {
      const names = await bulk.recordNames();
      seen = new Set(names);
      return bulk.readRecords(names, toPathRecord);
    },
    async scanNew() {
      const fresh = await bulk.recordNames(seen);
      for (const name of fresh) seen.add(name);
      return bulk.readRecords(fresh, toPathRecord);
    },
    pinned: async () => (await store.roots()).map((root) => root.path),
    isValid: (path) => bulk.isValid(path),
    unregister: (paths) => bulk.unregister(paths),
    deleteContent: (paths) => bulk.deleteContent(paths),
  };
}
