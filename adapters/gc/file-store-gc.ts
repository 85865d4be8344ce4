/**
 * The collection's view of the file store (`adapters/store/file-store.ts`), through the store's
 * batch operations (`adapters/store/bulk.ts`): every record read from the valid-path log, a chunk
 * made invalid by one entry of it (one fsync), its content deleted with many unlinks in flight. The
 * rule is the store's own: the record goes first, the content after.
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
  return {
    storeDir: store.storeDir,
    scan: () => bulk.scan(toPathRecord),
    scanNew: () => bulk.scanNew(toPathRecord),
    pinned: async () => (await store.roots()).map((root) => root.path),
    isValid: (path) => bulk.isValid(path),
    unregister: (paths) => bulk.unregister(paths),
    deleteContent: (paths) => bulk.deleteContent(paths),
    compact: () => bulk.compact(),
  };
}
