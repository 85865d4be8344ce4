/**
 * Projection snapshots as one JSON file per projection in `<data>/projections/`. Each save writes a
 * temporary file, syncs it and renames it over the old one, so a crash leaves either snapshot whole.
 * An unreadable file is treated as no snapshot: the projection is rebuilt from the events.
 */
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Snapshot, SnapshotStore } from '../../projections/runtime/snapshot-store.ts';

const safeName = /^[A-Za-z0-9_-]+$/;

export function createFileSnapshotStore(directory: string, logger: Logger): SnapshotStore {
  const pathOf = (projection: string) => {
    if (!safeName.test(projection))
      throw new Error(`projection name ${JSON.stringify(projection)} is not a safe file name`);
    return join(directory, `${projection}.json`);
  };
  return {
    async load(projection) {
      let text: string;
      try {
        text = await readFile(pathOf(projection), 'utf8');
      } catch {
        return undefined;
      }
      try {
        const snapshot = JSON.parse(text) as Snapshot;
        if (snapshot.projection !== projection || typeof snapshot.position !== 'number')
          throw new Error('wrong shape');
        return snapshot;
      } catch (error) {
        logger.warn(
          { projection, err: error },
          'ignoring an unreadable projection snapshot: rebuilding from the events',
        );
        return undefined;
      }
    },
    async save(snapshot) {
      await mkdir(directory, { recursive: true });
      const target = pathOf(snapshot.projection);
      const temporary = `${target}.${process.pid}.tmp`;
      const file = await open(temporary, 'w');
      try {
        await file.writeFile(JSON.stringify(snapshot));
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temporary, target);
    },
  };
}
