/**
 * The collection's view of the file store (`adapters/store/file-store.ts`), working on its layout
 * directly: `valid/<hashPart>.json` records, `nar/<fileHash>.nar.zst` shared by hard links from
 * `nar-of/<hashPart>.nar.zst`, trees in the store directory.
 *
 * Why not `Store.list()` and `Store.remove()`: they read one record and fsync the records directory
 * per path, which puts a collection over 100,000 paths at tens of seconds. Here records are read
 * and files deleted with synchronous calls in slices of a few milliseconds (about four times
 * faster than a libuv round trip per small file, and the event loop still runs between slices), and
 * a chunk of records is unregistered with one fsync. The rule is the store's own: the record goes
 * first, the content after. The layout knowledge belongs in the store port eventually (a batch
 * `unregister`/`deleteContent`); until then it is kept to this one file.
 */

import type { Stats } from 'node:fs';
import {
  chmodSync,
  closeSync,
  fsyncSync,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  statSync,
  unlinkSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../store/store.ts';
import type { GcStore, PathRecord } from './gc-store.ts';

/** Runs `work` over `items` synchronously, yielding to the event loop every `sliceMs`. */
async function inSlices<T>(items: readonly T[], work: (item: T) => void, sliceMs = 10): Promise<void> {
  let sliceStart = performance.now();
  for (const item of items) {
    work(item);
    if (performance.now() - sliceStart > sliceMs) {
      await new Promise((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
  }
}

const isMissing = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT';

function unlinkIfPresent(file: string): void {
  try {
    unlinkSync(file);
  } catch (error) {
    if (!isMissing(error)) throw error;
  }
}

/** Deletes a tree that may be read-only (unpacked NARs are 0555 directories). */
function removeTreeSync(path: string): void {
  let stats: Stats;
  try {
    stats = lstatSync(path);
  } catch (error) {
    if (isMissing(error)) return;
    throw error;
  }
  if (!stats.isDirectory()) {
    unlinkIfPresent(path);
    return;
  }
  chmodSync(path, 0o755);
  for (const name of readdirSync(path)) removeTreeSync(join(path, name));
  rmdirSync(path);
}

function fsyncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** A record file read into what a collection needs; throws naming the file when it does not parse. */
function readRecord(file: string): PathRecord {
  const record = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const compressed = record.file as { fileHash?: unknown; fileSize?: unknown } | undefined;
  const { path, references, registeredAt, narSize } = record;
  if (
    typeof path !== 'string' ||
    !Array.isArray(references) ||
    typeof registeredAt !== 'number' ||
    typeof narSize !== 'number' ||
    typeof compressed?.fileHash !== 'string' ||
    typeof compressed.fileSize !== 'number'
  ) {
    throw new Error(`${file} is not a valid path record; run \`tally store verify\``);
  }
  return {
    path,
    references: references as string[],
    registeredAt,
    bytes: narSize + compressed.fileSize,
    fileHash: compressed.fileHash,
  };
}

/** The collection's view of the file store at `stateDir`; pins come through the store port. */
export function createFileStoreGc(store: Store, stateDir: string): GcStore {
  const { storeDir } = store;
  const valid = join(stateDir, 'valid');
  const hashPart = (path: string) => path.slice(storeDir.length + 1, storeDir.length + 33);
  const recordFile = (path: string) => join(valid, `${hashPart(path)}.json`);

  async function read(names: readonly string[]): Promise<PathRecord[]> {
    const records: PathRecord[] = [];
    await inSlices(names, (name) => {
      try {
        records.push(readRecord(join(valid, name)));
      } catch (error) {
        if (!isMissing(error)) throw error; // removed since the listing: no longer valid
      }
    });
    return records;
  }

  const recordNames = () => readdirSync(valid).filter((name) => name.endsWith('.json'));
  let seen = new Set<string>();

  return {
    storeDir,
    async scan() {
      const names = recordNames();
      seen = new Set(names);
      return read(names);
    },
    async scanNew() {
      const fresh = recordNames().filter((name) => !seen.has(name));
      for (const name of fresh) seen.add(name);
      return read(fresh);
    },
    pinned: async () => (await store.roots()).map((root) => root.path),
    isValid: async (path) => {
      try {
        statSync(recordFile(path));
        return true;
      } catch (error) {
        if (isMissing(error)) return false;
        throw error;
      }
    },
    async unregister(paths) {
      await inSlices(paths, (record) => unlinkIfPresent(recordFile(record.path)));
      fsyncDirectory(valid);
    },
    async deleteContent(paths) {
      await inSlices(paths, (record) => {
        try {
          statSync(recordFile(record.path));
          return; // valid again (imported anew): its content is not ours to delete
        } catch (error) {
          if (!isMissing(error)) throw error;
        }
        removeTreeSync(record.path);
        unlinkIfPresent(join(stateDir, 'nar-of', `${hashPart(record.path)}.nar.zst`));
        const shared = join(stateDir, 'nar', `${record.fileHash.replace(/^sha256:/, '')}.nar.zst`);
        try {
          if (statSync(shared).nlink === 1) unlinkSync(shared);
        } catch (error) {
          if (!isMissing(error)) throw error;
        }
      });
    },
  };
}
