/**
 * The store on disk. Outputs live in the store directory; Tally's state lives under `stateDir`:
 *
 *   valid/<hashPart>.json     the record that makes a path valid (written last, atomically)
 *   nar/<fileHash>.nar.zst    compressed NARs, named as the binary cache's URLs name them
 *   nar-of/<hashPart>.nar.zst a hard link per path to its NAR, so identical NARs are kept once and
 *                             deleted with the last path that has them (by link count)
 *   logs/, roots/, tmp/       build logs, GC roots, temporary files
 *
 * An import unpacks into a temporary directory inside the store directory and compresses into
 * tmp/; only when the NAR has matched its hash are the tree and the NAR renamed into place and the
 * record written. A crash before the record leaves only temporaries (removed on the next open) or
 * an unregistered tree (replaced by the next import), never a valid path with partial content.
 * Power loss: the compressed NAR and the record are fsynced; unpacked trees are not (`tally store
 * verify` finds any damage).
 */

import { createReadStream } from 'node:fs';
import { link, lstat, mkdir, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createNarParser } from '../../domain/derivation/index.ts';
import { isAlive, syncDirectory, tempName } from './atomic.ts';
import { type CompressedTemp, createCompressedTemp, openSized } from './compressed-nar.ts';
import { StoreError, translateFsError } from './errors.ts';
import { fileStoreLayout } from './layout.ts';
import { createLogs } from './logs.ts';
import { dumpPath } from './nar-fs.ts';
import { createNarRestorer } from './nar-restore.ts';
import { createRecords } from './records.ts';
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

  const records = createRecords(dirs.valid, dirs.tmp);
  const logs = createLogs(dirs.logs, dirs.tmp, storeDir);
  const roots = createRoots(dirs.roots, dirs.tmp, now);
  const check = (path: string) => checkStorePath(storeDir, path);
  const { narFile, narOf } = layout;

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

  async function info(path: string): Promise<ValidPathInfo | undefined> {
    const checked = check(path);
    const record = await records.read(checked.hashPart);
    return record?.path === path ? record : undefined;
  }

  /** The sorted, checked references; every one valid or the path itself. */
  async function checkReferences(self: CheckedPath, references: readonly string[] = []): Promise<string[]> {
    const sorted = [...new Set(references)].sort();
    const missing: string[] = [];
    for (const reference of sorted) {
      check(reference);
      if (reference !== self.path && !(await info(reference))) missing.push(reference);
    }
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

  /** Moves the finished pieces into place and writes the record, the step that makes the path valid. */
  async function publish(
    checked: CheckedPath,
    compressed: CompressedTemp,
    metadata: PathMetadata,
    references: string[],
    nar: { narHash: string; narSize: number },
    tree?: string,
  ): Promise<ValidPathInfo> {
    const file = await compressed.finish();
    const target = narFile(file.fileHash);
    const exists = await stat(target).then(
      () => true,
      () => false,
    );
    if (exists) await compressed.discard();
    else await rename(compressed.temp, target);
    await rm(narOf(checked.hashPart), { force: true });
    await link(target, narOf(checked.hashPart));
    if (tree !== undefined) {
      // A tree without a record is what a crash left: invalid, and replaced.
      if (await lstat(checked.path).catch(() => undefined)) await removeTree(checked.path);
      await rename(tree, checked.path);
      await syncDirectory(storeDir);
    }
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
    await records.write(checked.hashPart, record);
    return record;
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
    await serialised(checked.hashPart, async () => {
      const record = await info(path);
      await rm(records.file(checked.hashPart), { force: true });
      await syncDirectory(dirs.valid);
      await removeTree(checked.path);
      await rm(narOf(checked.hashPart), { force: true });
      if (record) {
        const shared = narFile(record.file.fileHash);
        const links = await stat(shared).then(
          (s) => s.nlink,
          () => 0,
        );
        if (links === 1) await unlink(shared);
      }
    });
  }

  return {
    storeDir,
    has: async (path) => (await info(path)) !== undefined,
    info,
    async infoByHashPart(hashPart) {
      return isHashPart(hashPart) ? records.read(hashPart) : undefined;
    },
    addFromDirectory,
    importNar,
    async narStream(path, streamOptions = {}) {
      const record = await info(path);
      if (!record) throw new StoreError('TALLY_STORE_NOT_FOUND', `${path} is not valid in the store`);
      if (!streamOptions.compressed) return { size: record.narSize, stream: Readable.from(dumpPath(path)) };
      const opened = await openSized(narOf(check(path).hashPart));
      if (!opened) throw new StoreError('TALLY_STORE_NOT_FOUND', `the compressed NAR of ${path} is missing`);
      return opened;
    },
    compressedNar: async (fileHash) => (isNix32Sha256(fileHash) ? openSized(narFile(fileHash)) : undefined),
    remove,
    async *list() {
      for await (const hashPart of records.hashParts()) {
        const record = await records.read(hashPart);
        if (record) yield record;
      }
    },
    writeLog: logs.write,
    openLog: logs.open,
    readLog: logs.read,
    addRoot: async (name, path) => roots.add(name, check(path).path),
    removeRoot: roots.remove,
    roots: roots.list,
  };
}
