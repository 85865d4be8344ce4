import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isLow, startPeriodicGc } from '../../../adapters/gc/periodic.ts';
import { parseSize } from '../../../adapters/gc/size.ts';
import { withTimeout } from '../../helpers/uvu.ts';

const test = suite('startPeriodicGc');
const gib = 2 ** 30;

test(
  'collects only when the free space is under the threshold',
  withTimeout(5000, async () => {
    let free = 50 * gib;
    let collections = 0;
    const gc = startPeriodicGc({
      checkEveryMs: 3_600_000,
      minFreeBytes: 10 * gib,
      freeSpace: async () => ({ freeBytes: free, totalBytes: 100 * gib }),
      collect: async () => ++collections,
    });
    await gc.check();
    assert.is(collections, 0);
    free = 5 * gib;
    await gc.check();
    assert.is(collections, 1);
    await gc.stop();
  }),
);

test(
  'never runs two collections at once',
  withTimeout(5000, async () => {
    let running = 0;
    let most = 0;
    let finish: () => void = () => undefined;
    const gc = startPeriodicGc({
      checkEveryMs: 3_600_000,
      minFreePercent: 10,
      freeSpace: async () => ({ freeBytes: 1, totalBytes: 100 }),
      collect: async () => {
        most = Math.max(most, ++running);
        await new Promise<void>((resolve) => {
          finish = resolve;
        });
        running--;
      },
    });
    const first = gc.check();
    const second = gc.check();
    await new Promise((resolve) => setImmediate(resolve));
    finish();
    await Promise.all([first, second]);
    assert.is(most, 1);
    await gc.stop();
  }),
);

test(
  'reports a failed collection and keeps checking',
  withTimeout(5000, async () => {
    const results: boolean[] = [];
    const gc = startPeriodicGc({
      checkEveryMs: 3_600_000,
      minFreeBytes: 10,
      freeSpace: async () => ({ freeBytes: 0, totalBytes: 100 }),
      collect: async () => {
        throw new Error('disk gone');
      },
      onResult: (result) => results.push(result.ok),
    });
    await gc.check();
    await gc.check();
    assert.equal(results, [false, false]);
    await gc.stop();
  }),
);

test('reads thresholds and sizes as people write them', () => {
  assert.ok(isLow({ freeBytes: 5, totalBytes: 100 }, { minFreePercent: 10 }));
  assert.not.ok(isLow({ freeBytes: 50, totalBytes: 100 }, { minFreePercent: 10, minFreeBytes: 20 }));
  assert.is(parseSize('10G'), 10 * gib);
  assert.is(parseSize('500M'), 500 * 2 ** 20);
  assert.is(parseSize('4096'), 4096);
  assert.is(parseSize('ten'), undefined);
});

test.run();
