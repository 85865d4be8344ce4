/**
 * Putting an evaluation's sources and `.drv` files into Tally's store as valid paths, so builders find
 * them and the binary cache serves them: content written beside the store path and renamed into
 * place (a crash never leaves a half-written path), then registered with its references — sources
 * first, then derivations from the leaves up, since a path's references must be valid before it.
 */

import { randomUUID } from 'node:crypto';
import { cp, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDerivation, storePathBaseName } from '../../../domain/derivation/index.ts';
import type { Store } from '../../store/store.ts';

/** Writes `content` at `path` through a temporary name in the same directory. */
async function placeAtomically(path: string, write: (temp: string) => Promise<void>): Promise<void> {
  const temp = join(path, '..', `.tally-tmp-${randomUUID()}`);
  try {
    await write(temp);
    await rename(temp, path);
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

const nameOf = (drvPath: string) => storePathBaseName(drvPath).slice(33, -'.drv'.length);

/** Derivation paths ordered so that every input comes before what uses it. */
export function leavesFirst(
  drvFiles: ReadonlyMap<string, Uint8Array>,
): Array<{ path: string; references: string[] }> {
  const ordered: Array<{ path: string; references: string[] }> = [];
  const done = new Set<string>();
  const visit = (path: string, trail: Set<string>) => {
    if (done.has(path) || trail.has(path)) return;
    const bytes = drvFiles.get(path);
    if (!bytes) return;
    trail.add(path);
    const drv = parseDerivation(bytes, nameOf(path));
    for (const input of drv.inputDrvs.keys()) visit(input, trail);
    done.add(path);
    ordered.push({ path, references: [...drv.inputSrcs, ...drv.inputDrvs.keys()].sort() });
  };
  for (const path of drvFiles.keys()) visit(path, new Set());
  return ordered;
}

export async function ingestEvaluation(
  store: Store,
  sources: ReadonlyMap<string, string>,
  drvFiles: ReadonlyMap<string, Uint8Array>,
): Promise<void> {
  await mkdir(store.storeDir, { recursive: true });
  for (const [path, from] of sources) {
    if (await store.has(path)) continue;
    if (from !== path) {
      await rm(path, { recursive: true, force: true });
      await placeAtomically(path, (temp) => cp(from, temp, { recursive: true, verbatimSymlinks: true }));
    }
    await store.addFromDirectory({ path, references: [] });
  }
  for (const { path, references } of leavesFirst(drvFiles)) {
    if (await store.has(path)) continue;
    const bytes = drvFiles.get(path)!;
    const onDisk = await readFile(path).catch(() => undefined);
    if (!onDisk || !Buffer.from(bytes).equals(onDisk)) {
      await rm(path, { force: true });
      await placeAtomically(path, (temp) => writeFile(temp, bytes, { mode: 0o444 }));
    }
    await store.addFromDirectory({ path, references });
  }
}
