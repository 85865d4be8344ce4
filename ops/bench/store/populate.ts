/**
 * The bench's store: many small paths (what narinfo requests hit) and one large incompressible NAR
 * (what a download streams), registered in place as a builder's outputs are.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hashPath } from '../../../adapters/store/nar-fs.ts';
import type { Store } from '../../../adapters/store/store.ts';
import { makeSourcePath } from '../../../domain/derivation/index.ts';

/** Adds `count` small paths; returns their hash parts. */
export async function addSmallPaths(store: Store, scratch: string, count: number): Promise<string[]> {
  const hashParts: string[] = [];
  for (let index = 0; index < count; index++) {
    const staging = join(scratch, `small-${index}`);
    await mkdir(staging);
    await writeFile(join(staging, 'file'), `small path ${index}\n${randomBytes(512).toString('hex')}\n`);
    const path = makeSourcePath(`small-${index}`, (await hashPath(staging)).hash, [], store.storeDir);
    await rename(staging, path);
    await store.addFromDirectory({ path });
    hashParts.push(path.slice(store.storeDir.length + 1, store.storeDir.length + 33));
  }
  return hashParts;
}

/** Adds one path holding `bytes` of random data; returns its record. */
export async function addLargePath(store: Store, scratch: string, bytes: number) {
  const staging = join(scratch, 'large');
  const handle = await open(staging, 'w');
  for (let written = 0; written < bytes; written += 1 << 20) await handle.write(randomBytes(1 << 20));
  await handle.close();
  const path = makeSourcePath('large', (await hashPath(staging)).hash, [], store.storeDir);
  await rename(staging, path);
  return store.addFromDirectory({ path });
}
