import pino from 'pino';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createFileSnapshotStore } from '../../../adapters/projection-snapshots/file-snapshot-store.ts';
import { preloadSnapshots } from '../../../adapters/projection-snapshots/preload.ts';
import type { SnapshotStore } from '../../../projections/runtime/snapshot-store.ts';
import { tempDir, withTimeout } from '../../helpers/uvu.ts';

const test = suite('preloaded snapshots');

test(
  'are read in order before anyone asks, handed over once, then read afresh',
  withTimeout(10_000, async () => {
    const dir = await tempDir();
    try {
      const files = createFileSnapshotStore(dir.path, pino({ level: 'silent' }));
      await files.save({ projection: 'queue', version: 1, position: 5, state: { n: 1 } });
      await files.save({ projection: 'builds', version: 1, position: 5, state: { n: 2 } });
      const reads: string[] = [];
      const counted: SnapshotStore = {
        load: (name, options) => {
          reads.push(options?.shareStrings ? `${name} (strings shared)` : name);
          return files.load(name, options);
        },
        save: files.save,
      };
      const preloaded = preloadSnapshots(counted, [
        { name: 'queue' },
        { name: 'builds', repeatsStrings: true },
        { name: 'workers' },
      ]);
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(
        reads,
        ['queue', 'builds (strings shared)', 'workers'],
        'every snapshot read before any load, as its projection asks',
      );
      assert.equal((await preloaded.load('queue'))?.state, { n: 1 });
      assert.equal((await preloaded.load('builds'))?.state, { n: 2 });
      assert.is(await preloaded.load('workers'), undefined);
      assert.equal(reads.length, 3, 'the first loads took what was read ahead');
      await preloaded.save({ projection: 'queue', version: 1, position: 9, state: { n: 3 } });
      assert.equal((await preloaded.load('queue'))?.state, { n: 3 }, 'a later load sees the new save');
    } finally {
      await dir.cleanup();
    }
  }),
);

test.run();
