import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import pino from 'pino';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createFileSnapshotStore } from '../../../adapters/projection-snapshots/file-snapshot-store.ts';
import { shareStrings } from '../../../adapters/projection-snapshots/shared-strings.ts';
import { tempDir, withTimeout } from '../../helpers/uvu.ts';

const test = suite('strings shared in a state read back');

setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

test('every string of a parsed value goes through the table; the value is unchanged', () => {
  const text = JSON.stringify({
    jobs: ['hello', '/nix/store/a-hello.drv', 'hello', '/nix/store/a-hello.drv'],
    nested: { status: 'succeeded', again: [{ status: 'succeeded' }], long: 'x'.repeat(500) },
    n: 3,
    none: null,
  });
  const copies = new Map<string, string>();
  const value = shareStrings(JSON.parse(text), copies);
  assert.equal(value, JSON.parse(text));
  assert.equal(
    [...copies.keys()].sort(),
    ['/nix/store/a-hello.drv', 'hello', 'succeeded'],
    'each short string once; a long one is left alone',
  );
  assert.is(shareStrings('hello', copies), 'hello');
});

test(
  'a snapshot of many copies of few strings loads far smaller with them shared',
  withTimeout(60_000, async () => {
    const dir = await tempDir();
    try {
      const store = createFileSnapshotStore(dir.path, pino({ level: 'silent' }));
      // 200,000 paths of 2,000 derivations, as evaluations list the same derivations again and again.
      const paths = Array.from(
        { length: 2000 },
        (_, n) => `/nix/store/${String(n).padStart(32, '0')}-p${n}.drv`,
      );
      const state = { jobs: Array.from({ length: 200_000 }, (_, n) => paths[n % paths.length]!) };
      await store.save({ projection: 'evaluations', version: 1, position: 0, state });
      const heapOf = async (shareStrings: boolean) => {
        collect();
        const before = process.memoryUsage().heapUsed;
        const loaded = await store.load('evaluations', { shareStrings });
        collect();
        const used = process.memoryUsage().heapUsed - before;
        assert.equal(loaded?.state, state);
        return used;
      };
      const copied = await heapOf(false);
      const shared = await heapOf(true);
      // Each copy of a path is about 90 bytes; a shared one is an 8-byte pointer.
      assert.ok(copied > 15 * 2 ** 20, `copied: ${copied} bytes`);
      assert.ok(shared < copied / 4, `shared: ${shared} bytes, copied: ${copied} bytes`);
    } finally {
      await dir.cleanup();
    }
  }),
);

test.run();
