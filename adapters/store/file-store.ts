/**
 * The store on disk. Outputs live in the store directory; Tally's state lives under `stateDir`:
 *
 *   valid.log                 the valid-path log (`valid-log.ts`): the record of each valid path,
 *                             with its compressed NAR inside when that is small (≤ 64 KiB)
 *   valid.lock                the lock writers of the log hold (`store-lock.ts`)
 *   nar/<fileHash>.nar.zst    larger compressed NARs, named as the binary cache's URLs name them,
 *                             kept once for identical paths and deleted with the last of them
 *   logs/, roots/, tmp/       build logs, GC roots, temporary files
 *
 * An import unpacks into a temporary directory inside the store directory and compresses into
 * tmp/; only when the NAR has matched its hash are the tree and the NAR moved into place and the
 * record appended, those last steps under the store's lock (so a collection, which deletes under
 * it, never sees half of them). A crash before the record leaves only temporaries (removed on the
 * next open) or an unregistered tree (replaced by the next import), never a valid path with partial
 * content. Power loss: the compressed NAR and the log are fsynced; unpacked trees are not (`tally
 * store verify` finds any damage). A store of the earlier layout (a record file per path) is moved
 * into the log when opened.
 */

import { createReadStream, readFileSync } from 'node:fs';
import { lstat, mkdir, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createNarParser } from '../../domain/derivation/index.ts';
import { isAlive, syncDirectory, tempName } from './atomic.ts';
import { type CompressedTemp, createCompressedTemp, openSized } from './compressed-nar.ts';
import { StoreError, translateFsError } from './errors.ts';
import { fileStoreLayout, inlineNarLimit } from './layout.ts';
import { createLogs } from './logs.ts';
import { dumpPath } from './nar-fs.ts';
import { createNarRestorer } from './nar-restore.ts';
import { migrateRecordFiles } from './records.ts';
import { removeTree } from './remove-tree.ts';
import { createRoots } from './roots.ts';
import type { ExpectedPathInfo, NarSource, PathMetadata, Store, ValidPathInfo } from './store.ts';
import {
  type CheckedPath,
  checkStorePath,
  createSha256,
  isHashPart,
  isNix32Sha256,
  normaliseNarHash,
} from './store-paths.ts';
import { openValidLog } from './valid-log.ts';
import { encodeAdd, encodeRemove } from './valid-log-format.ts';
import { createZstdEncoder, decompressZstd } from './zstd.ts';

/** Where a file store keeps things. */
export interface FileStoreOptions {
  /** The store directory: `/nix/store` with the nix backend, `<data>/nix/store` with the native one. */
  readonly storeDir: string;
  /** Tally's records, NARs, logs and roots: `<data>/store`. */
  readonly stateDir: string;
  /** The clock for registration times (tests pin it). */
  readonly now?: () => number;
}

const treeTempPrefix = '.tally-';

/** Removes temporaries left by processes that are gone (a crash mid-import). */
async function removeLeftovers(dir: string, prefix: string): Promise<void> {
  for (const name of await readdir(dir)) {
    const pid = new RegExp(`^${prefix.replace('.', '\\.')}(?:[a-z]+-)?(\\d+)-[0-9a-f]+\\.tmp$`).exec(
      name,
    )?.[1];
    if (pid !== undefined && !isAlive(Number(pid))) await removeTree(join(dir, name));
  }
}

/** Opens (creating as needed) the store at `options`. */
export async function openFileStore(options: FileStoreOptions): Promise<Store> {
  const { storeDir, stateDir } = options;
  const now = options.now ?? Date.now;
  const layout = fileStoreLayout(stateDir);
  const { dirs } = layout;
  await mkdir(storeDir, { recursive: true });
  for (const dir of Object.values(dirs)) await mkdir(dir, { recursive: true });
  await removeLeftovers(dirs.tmp, '');
  await removeLeftovers(storeDir, treeTempPrefix);

  const log = await openValidLog(layout.validLog, layout.lock, dirs.tmp);
  await migrateRecordFiles(layout.legacy.valid, layout.legacy.narOf, log);
  const logs = createLogs(dirs.logs, dirs.tmp, storeDir);
  const roots = createRoots(dirs.roots, dirs.tmp, now);
  const check = (path: string) => checkStorePath(storeDir, path);
  const { narFile } = layout;

  // Two imports of one path in this process take turns; the second finds it valid.
  const busy = new Map<string, Promise<unknown>>();
  function serialised<T>(hashPart: string, work: () => Promise<T>): Promise<T> {
    const previous = busy.get(hashPart) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => undefined);
    busy.set(hashPart, settled);
    void settled.then(() => busy.get(hashPart) === settled && busy.delete(hashPart));
    return next;
  }

  /** The log's entry of `checked`, if that very path (not another name with its hash) is valid. */
  function entryOf(checked: CheckedPath) {
    log.refresh();
    const entry = log.lookup(checked.hashPart);
    return entry?.baseName === checked.baseName ? entry : undefined;
  }

  async function info(path: string): Promise<ValidPathInfo | undefined> {
    const entry = entryOf(check(path));
    return entry && log.record(entry);
  }

  /** The sorted, checked references; every one valid or the path itself. */
  function checkReferences(self: CheckedPath, references: readonly string[] = []): string[] {
    const sorted = [...new Set(references)].sort();
    const missing = sorted.filter((reference) => reference !== self.path && !entryOf(check(reference)));
    if (missing.length > 0) {
      throw new StoreError(
        'TALLY_STORE_MISSING_REFERENCE',
        `${self.path} refers to paths that are not valid in the store: ${missing.join(', ')}`,
      );
    }
    return sorted;
  }

  function checkMetadata(metadata: PathMetadata): CheckedPath {
    const checked = check(metadata.path);
    if (metadata.deriver !== undefined) check(metadata.deriver);
    if (metadata.sigs?.some((sig) => typeof sig !== 'string' || /[\s]/.test(sig))) {
      throw new StoreError('TALLY_STORE_BAD_ARGUMENT', `a signature of ${metadata.path} is not name:base64`);
    }
    return checked;
  }

  /**
   * Moves the finished pieces into place and appends the record, the step that makes the path
   * valid; under the store's lock, and not at all if another process made the path valid first.
   */
  async function publish(
    checked: CheckedPath,
    compressed: CompressedTemp,
    metadata: PathMetadata,
    references: string[],
    nar: { narHash: string; narSize: number },
    tree?: string,
  ): Promise<ValidPathInfo> {
    const file = await compressed.finish();
    const inline = file.fileSize <= inlineNarLimit ? readFileSync(compressed.temp) : undefined;
    const record: ValidPathInfo = {
      path: checked.path,
      ...nar,
      references,
      ...(metadata.deriver !== undefined && { deriver: metadata.deriver }),
      sigs: [...new Set(metadata.sigs ?? [])].sort(),
      ...(metadata.ca !== undefined && { ca: metadata.ca }),
      file: { compression: 'zstd', ...file },
      registeredAt: now(),
    };
    const published = await log.locked(async () => {
      const existing = entryOf(checked);
      if (existing) return log.record(existing);
      if (inline === undefined) {
        const target = narFile(file.fileHash);
        if (await stat(target).catch(() => undefined)) await compressed.discard();
        else await rename(compressed.temp, target);
      }
      if (tree !== undefined) {
        // A tree without a record is what a crash left: invalid, and replaced.
        if (await lstat(checked.path).catch(() => undefined)) await removeTree(checked.path);
        await rename(tree, checked.path);
        await syncDirectory(storeDir);
      }
      const fileHash = file.fileHash.replace(/^sha256:/, '');
      await log.append(encodeAdd(checked.baseName, fileHash, JSON.stringify(record), inline));
      return record;
    });
    await compressed.discard();
    if (tree !== undefined && published !== record) await removeTree(tree);
    return published;
  }

  async function addFromDirectory(metadata: PathMetadata): Promise<ValidPathInfo> {
    const checked = checkMetadata(metadata);
    return serialised(checked.hashPart, async () => {
      const existing = await info(checked.path);
      if (existing) return existing;
      const references = await checkReferences(checked, metadata.references);
      await lstat(checked.path).catch((error) => {
        throw translateFsError(error, checked.path);
      });
      const compressed = await createCompressedTemp(dirs.tmp);
      try {
        const encoder = await createZstdEncoder();
        const hasher = createSha256();
        for await (const chunk of dumpPath(checked.path)) {
          hasher.update(chunk);
          await compressed.write(encoder.push(chunk));
        }
        await compressed.write([encoder.end()]);
        const nar = { narHash: hasher.digest(), narSize: hasher.size };
        return await publish(checked, compressed, metadata, references, nar);
      } catch (error) {
        await compressed.discard();
        throw error;
      }
    });
  }

  async function importNar(source: NarSource, expected: ExpectedPathInfo): Promise<ValidPathInfo> {
    const checked = checkMetadata(expected);
    const narHash = normaliseNarHash(expected.narHash);
    if (!Number.isSafeInteger(expected.narSize) || expected.narSize <= 0) {
      throw new StoreError(
        'TALLY_STORE_BAD_ARGUMENT',
        `NAR size ${expected.narSize} is not a positive integer`,
      );
    }
    return serialised(checked.hashPart, async () => {
      const existing = await info(checked.path);
      if (existing) return existing;
      const references = await checkReferences(checked, expected.references);
      const tree = join(storeDir, tempName(`${treeTempPrefix}import-`));
      const compressed = await createCompressedTemp(dirs.tmp);
      try {
        const parser = createNarParser();
        const restorer = createNarRestorer(tree);
        const encoder = await createZstdEncoder();
        const hasher = createSha256();
        const adopted = 'zstdFile' in source ? source.zstdFile : undefined;
        const nar =
          adopted === undefined
            ? (source as AsyncIterable<Uint8Array>)
            : decompressZstd(createReadStream(adopted));
        for await (const chunk of nar) {
          hasher.update(chunk);
          if (hasher.size > expected.narSize) {
            throw new StoreError(
              'TALLY_STORE_HASH_MISMATCH',
              `the NAR of ${checked.path} is longer than ${expected.narSize} bytes`,
            );
          }
          for (const event of parser.push(chunk)) await restorer.write(event);
          if (adopted === undefined) await compressed.write(encoder.push(chunk));
        }
        parser.end();
        await restorer.end();
        if (adopted === undefined) await compressed.write([encoder.end()]);
        else for await (const chunk of createReadStream(adopted)) await compressed.write([chunk]);
        const actual = { narHash: hasher.digest(), narSize: hasher.size };
        if (actual.narHash !== narHash || actual.narSize !== expected.narSize) {
          throw new StoreError(
            'TALLY_STORE_HASH_MISMATCH',
            `the NAR of ${checked.path} has hash ${actual.narHash} and size ${actual.narSize}, ` +
              `not ${narHash} and ${expected.narSize}`,
          );
        }
        return await publish(checked, compressed, expected, references, actual, tree);
      } catch (error) {
        await compressed.discard();
        await removeTree(tree);
        throw error;
      }
    });
  }

  async function remove(path: string): Promise<void> {
    const checked = check(path);
    await serialised(checked.hashPart, () =>
      log.locked(async () => {
        const entry = entryOf(checked);
        if (entry) await log.append(encodeRemove([checked.hashPart]));
        await removeTree(checked.path);
        if (entry && entry.narLength === 0 && log.fileHashUsers(entry.fileHash) === 0) {
          await unlink(narFile(entry.fileHash)).catch(() => undefined);
        }
      }),
    );
  }

  /** The compressed NAR of a valid entry, from the log or from its own file. */
  async function openCompressed(entry: ReturnType<typeof entryOf> & object) {
    if (entry.narLength > 0) {
      const bytes = log.inlineNar(entry);
      return { size: bytes.length, stream: Readable.from([bytes]) };
    }
    return openSized(narFile(entry.fileHash));
  }

  return {
    storeDir,
    has: async (path) => entryOf(check(path)) !== undefined,
    info,
    async infoByHashPart(hashPart) {
      if (!isHashPart(hashPart)) return undefined;
      log.refresh();
      const entry = log.lookup(hashPart);
      return entry && log.record(entry);
    },
    addFromDirectory,
    importNar,
    async narStream(path, streamOptions = {}) {
      const entry = entryOf(check(path));
      if (!entry) throw new StoreError('TALLY_STORE_NOT_FOUND', `${path} is not valid in the store`);
      if (!streamOptions.compressed) {
        return { size: log.record(entry).narSize, stream: Readable.from(dumpPath(path)) };
      }
      const opened = await openCompressed(entry);
      if (!opened) throw new StoreError('TALLY_STORE_NOT_FOUND', `the compressed NAR of ${path} is missing`);
      return opened;
    },
    async compressedNar(fileHash) {
      if (!isNix32Sha256(fileHash)) return undefined;
      log.refresh();
      const entry = log.byFileHash(fileHash);
      return entry && openCompressed(entry);
    },
    remove,
    async *list() {
      log.refresh();
      for (const entry of log.entries()) yield log.record(entry);
    },
    writeLog: logs.write,
    openLog: logs.open,
    readLog: logs.read,
    addRoot: async (name, path) => roots.add(name, check(path).path),
    removeRoot: roots.remove,
    roots: roots.list,
  };
}
