/**
 * A full disk, for real: the ledger directory sits on a 1 MiB tmpfs mounted for this test, and a
 * filler file takes every free page. Needs root (mount); without it the test is skipped, saying why.
 */
import { mkdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openFileStorage } from '../../../adapters/ledger/storage/file/index.ts';
import { LedgerStorageError, type LogRecord } from '../../../adapters/ledger/storage/storage.ts';
import { fillDisk, mountSmallDisk } from '../../fixtures/small-disk.ts';
import { rejects, withTimeout } from '../../helpers/uvu.ts';
import { newRecord, newRecords, readAll } from './storage-records.ts';

const test = suite('file ledger storage on a full disk');

const isDiskFull = (error: unknown) =>
  error instanceof LedgerStorageError && error.code === 'TALLY_LEDGER_DISK_FULL';
const bigRecord = (streamId: string, revision: number) =>
  newRecord(streamId, revision, { data: new Uint8Array(16 * 1024).fill(revision) });

const disk = await mountSmallDisk();
if ('reason' in disk) {
  test.skip(`needs a tmpfs mount, which failed: ${disk.reason}`, () => {});
} else {
  test.after(() => disk.release());

  test(
    'appends on a full disk fail with TALLY_LEDGER_DISK_FULL, leave nothing behind, and succeed once space is freed',
    withTimeout(20_000, async () => {
      const directory = join(disk.path, 'ledger');
      await mkdir(directory);
      const storage = await openFileStorage({ directory, segmentSize: 256 * 1024 });
      const acknowledged: LogRecord[] = [...(await storage.write(newRecords('before', 0, 10)))];
      const filler = join(disk.path, 'filler');
      fillDisk(filler);

      const refused = [
        storage.write([bigRecord('refused', 0)]),
        storage.write([bigRecord('refused', 1), bigRecord('refused', 2)]),
        storage.write([newRecord('queued-behind', 0)]),
      ];
      for (const write of refused) await rejects(write, isDiskFull);
      assert.equal(
        readAll(storage).map((record) => record.eventId),
        acknowledged.map((record) => record.eventId),
      );
      assert.is((await stat(join(directory, 'segment-000000.log'))).size, storage.stats().bytes);
      await rejects(storage.write([bigRecord('still-full', 0)]), isDiskFull);

      await unlink(filler);
      acknowledged.push(...(await storage.write([bigRecord('after', 0), bigRecord('after', 1)])));
      acknowledged.push(...(await storage.write(newRecords('after', 2, 3))));
      assert.is(storage.stats().events, acknowledged.length);
      await storage.close();

      const reopened = await openFileStorage({ directory });
      assert.equal(
        readAll(reopened).map((record) => record.eventId),
        acknowledged.map((record) => record.eventId),
      );
      assert.equal([...reopened.streamIds()].sort(), ['after', 'before']);
      await reopened.close();
    }),
  );
}

test.run();
