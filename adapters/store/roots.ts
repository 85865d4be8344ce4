/**
 * GC roots: one small JSON file per root under `<state>/roots/`, named by the root, so adding and
 * removing one is a single atomic file operation and listing them is a directory read.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic.ts';
import { StoreError } from './errors.ts';
import type { GcRoot } from './store.ts';

const rootName = /^[A-Za-z0-9][A-Za-z0-9._@+=-]{0,199}$/;

function checkName(name: string): void {
  if (!rootName.test(name)) {
    throw new StoreError(
      'TALLY_STORE_BAD_ARGUMENT',
      `GC root name '${name}' must be 1-200 characters of [A-Za-z0-9._@+=-], not starting with a symbol`,
    );
  }
}

export function createRoots(dir: string, tmpDir: string, now: () => number) {
  return {
    async add(name: string, path: string): Promise<void> {
      checkName(name);
      const root: GcRoot = { name, path, createdAt: now() };
      await writeFileAtomic(join(dir, `${name}.json`), `${JSON.stringify(root)}\n`, tmpDir);
    },
    async remove(name: string): Promise<void> {
      checkName(name);
      await rm(join(dir, `${name}.json`), { force: true });
    },
    async list(): Promise<GcRoot[]> {
      const roots: GcRoot[] = [];
      for (const file of await readdir(dir)) {
        if (!file.endsWith('.json')) continue;
        try {
          const root = JSON.parse(await readFile(join(dir, file), 'utf8')) as GcRoot;
          if (typeof root.path !== 'string' || typeof root.name !== 'string') throw new Error();
          roots.push(root);
        } catch {
          throw new StoreError('TALLY_STORE_CORRUPT_RECORD', `GC root ${join(dir, file)} does not parse`);
        }
      }
      return roots.sort((a, b) => a.name.localeCompare(b.name));
    },
  };
}
