/**
 * The file backend across restarts and crashes: reopening, segment rollover, torn tails cut at
 * every byte, damage inside the log, lost or damaged index snapshots, the directory lock and
 * group commit.
 */
import { spawnSync } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type FileStorageOptions, openFileStorage } from '../../../adapters/ledger/storage/file/index.ts';
import {
  type LedgerStorage,
  LedgerStorageError,
  type LogRecord,
} from '../../../adapters/ledger/storage/storage.ts';
import { ownerTag } from '../../../adapters/processes/process-start.ts';
import { rejects, tempDir, withTimeout } from '../../helpers/uvu.ts';
import { capturingLogger, copyLog, dropSnapshot, warnings } from './file-storage-fixture.ts';
import { newRecord, newRecords, readAll } from './storage-records.ts';

const test = suite('file ledger storage recovery');
const segmentSize = 4096;
const cleanups: Array<() => Promise<void>> = [];

async function freshDirectory(): Promise<string> {
  const directory = await tempDir('tally-ledger-recovery-');
  cleanups.push(directory.cleanup);
  return directory.path;
}

const open = (directory: string, options: Partial<FileStorageOptions> = {}) =>
  openFileStorage({ directory, segmentSize, ...options });

/** What reads can observe of a storage: its records, stream index and head. */
function observe(storage: LedgerStorage) {
  const records = readAll(storage);
  const streams = [...storage.streamIds()].sort().map((id) => [id, [...storage.streamPositions(id)!]]);
  return { records, streams, head: storage.headPosition() };
}

/** Writes `count` batches one after another (so each is its own flush) over three streams. */
async function writeBatches(storage: LedgerStorage, count: number, size = 2): Promise<LogRecord[][]> {
  const revisions = new Map<string, number>();
  const batches: LogRecord[][] = [];
  for (let i = 0; i < count; i++) {
    const streamId = `order-${i % 3}`;
    const revision = revisions.get(streamId) ?? 0;
    revisions.set(streamId, revision + size);
    batches.push([...(await storage.write(newRecords(streamId, revision, size)))]);
  }
  return batches;
}

const isCode = (code: string) => (error: unknown) =>
  error instanceof LedgerStorageError && error.code === code;

test.after.each(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

test(
  'a reopened storage serves everything it acknowledged, from its snapshot',
  withTimeout(10_000, async () => {
    const directory = await freshDirectory();
    const storage = await open(directory);
    await writeBatches(storage, 30, 3);
    const before = observe(storage);
    await storage.close();

    const reopened = await open(directory);
    assert.equal(observe(reopened), before);
    assert.is(reopened.stats().scannedFrom, before.head);
    await reopened.close();
  }),
);

test(
  'small segments roll over, and a batch larger than a segment is refused',
  withTimeout(10_000, async () => {
    const directory = await freshDirectory();
    const storage = await open(directory);
    const batches = await writeBatches(storage, 60, 4);
    assert.ok(storage.stats().segments > 5, `${storage.stats().segments} segments`);
    for (const batch of batches) {
      const segments = new Set(batch.map((record) => Math.floor(record.position / segmentSize)));
      assert.is(segments.size, 1, 'a batch stays in one segment');
    }
    const huge = newRecord('big', 0, { data: new Uint8Array(segmentSize) });
    await rejects(storage.write([huge]), /cannot fit a log segment of 4096 bytes/);
    const before = observe(storage);
    await storage.close();
    await dropSnapshot(directory);
    const reopened = await open(directory);
    assert.equal(observe(reopened), before);
    assert.ok((await stat(join(directory, 'segment-000005.log'))).isFile());
    await reopened.close();
  }),
);

test(
  'a log cut at any byte of its last batch reopens without that batch, and takes writes again',
  withTimeout(120_000, async () => {
    const original = await freshDirectory();
    const storage = await open(original, { segmentSize: 1024 * 1024 });
    const batches = await writeBatches(storage, 5, 3);
    await storage.close();
    const segment = await readFile(join(original, 'segment-000000.log'));
    const lastStart = batches.at(-1)![0]!.position;
    const kept = batches.slice(0, -1).flat();

    for (let cut = lastStart; cut < segment.length; cut++) {
      const directory = await freshDirectory();
      await copyLog(original, directory);
      await dropSnapshot(directory);
      await writeFile(join(directory, 'segment-000000.log'), segment.subarray(0, cut));
      const { logger, lines } = capturingLogger();
      const reopened = await open(directory, { logger, segmentSize: 1024 * 1024 });
      assert.equal(
        readAll(reopened).map((record) => record.eventId),
        kept.map((record) => record.eventId),
        `cut at ${cut}`,
      );
      assert.is(
        (await stat(join(directory, 'segment-000000.log'))).size,
        lastStart,
        'the torn bytes are gone',
      );
      const torn = warnings(lines).find((line) => line.msg.includes('torn tail'));
      if (cut > lastStart) assert.is(torn?.bytes, cut - lastStart, `torn bytes reported at cut ${cut}`);
      else assert.is(torn, undefined);
      const [again] = await reopened.write([newRecord('after-crash', 0)]);
      assert.is(again!.position, lastStart);
      assert.is(reopened.readAt(lastStart).streamId, 'after-crash');
      await reopened.close();
      await cleanups.pop()!();
    }
  }),
);

test(
  'a damaged record followed by intact ones stops opening with TALLY_LEDGER_CORRUPT naming file and offset',
  withTimeout(10_000, async () => {
    const directory = await freshDirectory();
    const storage = await open(directory, { segmentSize: 1024 * 1024 });
    const batches = await writeBatches(storage, 6, 2);
    await storage.close();
    const damaged = batches[1]![1]!;
    const path = join(directory, 'segment-000000.log');
    const bytes = await readFile(path);
    bytes[damaged.position + 70]! ^= 0x40;
    await writeFile(path, bytes);

    // With the snapshot, opening does not scan the damaged region, but reading it reports the damage.
    const withSnapshot = await open(directory);
    assert.throws(
      () => withSnapshot.readAt(damaged.position),
      (error: unknown) => isCode('TALLY_LEDGER_CORRUPT')(error),
    );
    await withSnapshot.close();

    await dropSnapshot(directory);
    const error = (await rejects(open(directory), isCode('TALLY_LEDGER_CORRUPT'))) as Error;
    assert.match(error.message, path);
    assert.match(error.message, `byte offset ${damaged.position} `);
    assert.match(error.message, /restore its data directory from a backup/);
  }),
);

test(
  'a missing or damaged index snapshot leads to a full scan that rebuilds the same index',
  withTimeout(10_000, async () => {
    const directory = await freshDirectory();
    const storage = await open(directory);
    await writeBatches(storage, 40, 3);
    const before = observe(storage);
    await storage.close();

    const snapshotPath = join(directory, 'index.snapshot');
    const snapshot = await readFile(snapshotPath);
    snapshot[snapshot.length - 3]! ^= 1;
    await writeFile(snapshotPath, snapshot);
    const damaged = capturingLogger();
    const afterDamage = await open(directory, { logger: damaged.logger });
    assert.is(afterDamage.stats().scannedFrom, 0);
    assert.equal(observe(afterDamage), before);
    assert.ok(
      warnings(damaged.lines).some(
        (line) => /unusable/.test(line.msg) && line.problem === 'checksum mismatch',
      ),
    );
    await afterDamage.close();

    await dropSnapshot(directory);
    const missing = capturingLogger();
    const afterLoss = await open(directory, { logger: missing.logger });
    assert.is(afterLoss.stats().scannedFrom, 0);
    assert.equal(observe(afterLoss), before);
    assert.ok(warnings(missing.lines).some((line) => /no index.snapshot/.test(line.msg)));
    await afterLoss.close();
  }),
);

test(
  'after a crash, only the log written since the last periodic snapshot is scanned',
  withTimeout(10_000, async () => {
    const directory = await freshDirectory();
    let snapshotWritten: (position: number) => void = () => {};
    const written = new Promise<number>((resolve) => {
      snapshotWritten = resolve;
    });
    const storage = await open(directory, {
      snapshotEveryBytes: 8 * 1024,
      onSnapshot: (p) => snapshotWritten(p),
    });
    await writeBatches(storage, 40, 3);
    const covered = await written;
    await writeBatches(storage, 10, 3);
    const crashed = await freshDirectory();
    await copyLog(directory, crashed);
    const before = observe(storage);
    await storage.close();

    const reopened = await open(crashed);
    const scannedFrom = reopened.stats().scannedFrom;
    assert.ok(
      scannedFrom >= covered && scannedFrom > 0 && scannedFrom < before.head,
      `scanned from ${scannedFrom}`,
    );
    assert.equal(observe(reopened), before);
    await reopened.close();
  }),
);

test(
  'concurrent writes share syncs',
  withTimeout(10_000, async () => {
    const directory = await freshDirectory();
    const storage = await open(directory, { segmentSize: 1024 * 1024 });
    await Promise.all(Array.from({ length: 100 }, (_, i) => storage.write([newRecord(`s-${i}`, 0)])));
    assert.is(storage.stats().events, 100);
    assert.ok(storage.stats().syncs <= 10, `${storage.stats().syncs} syncs for 100 writes`);
    await storage.close();
  }),
);

test(
  'a directory in use by a live process cannot be opened, and a dead owner’s lock is taken over',
  withTimeout(10_000, async () => {
    const directory = await freshDirectory();
    const storage = await open(directory);
    await rejects(open(directory), /is in use by process \d+/);
    await storage.close();

    const exited = spawnSync(process.execPath, ['-e', '0']);
    await writeFile(join(directory, 'lock'), `${exited.pid}\n`);
    const reopened = await open(directory);
    assert.is((await readFile(join(directory, 'lock'), 'utf8')).trim(), ownerTag());
    await reopened.close();
  }),
);

test.run();
