/**
 * The ledger storage port's contract (`adapters/ledger/storage/storage.ts`), run against every
 * backend: positions, the stream index, reads in both directions, counts, atomic batches and close.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type LedgerStorage, LedgerStorageError } from '../../../adapters/ledger/storage/storage.ts';
import { rejects, withTimeout } from '../../helpers/uvu.ts';
import { newRecord, newRecords, readAll, withoutPosition } from './storage-records.ts';

/** A storage under test and how to dispose of it. */
export interface StorageFixture {
  readonly storage: LedgerStorage;
  cleanup(): Promise<void>;
}

const timeoutMs = 10_000;

/** Runs the contract against the backend `open` creates, under the suite name `name`. */
export function storageContract(name: string, open: () => Promise<StorageFixture>): void {
  const test = suite(name);
  let fixture: StorageFixture | undefined;
  test.before.each(async () => {
    fixture = await open();
  });
  test.after.each(async () => {
    await fixture?.cleanup();
    fixture = undefined;
  });
  const it = (title: string, body: (storage: LedgerStorage) => Promise<void>) =>
    test(
      title,
      withTimeout(timeoutMs, () => body(fixture!.storage)),
    );

  it('an empty storage has nothing to read and counts nothing', async (storage) => {
    assert.equal(storage.readForward(0, 10), []);
    assert.equal(storage.readBackward(storage.headPosition(), 10), []);
    assert.is(storage.streamPositions('nothing'), undefined);
    assert.equal([...storage.streamIds()], []);
    assert.is(storage.stats().events, 0);
    assert.is(storage.stats().streams, 0);
  });

  it('write resolves with the records at strictly increasing positions', async (storage) => {
    const batch = newRecords('order-1', 0, 3);
    const first = await storage.write(batch);
    const second = await storage.write(newRecords('order-2', 0, 2));
    const positions = [...first, ...second].map((record) => record.position);
    positions.forEach((position, i) => {
      if (i > 0) assert.ok(position > positions[i - 1]!, `position ${position} follows ${positions[i - 1]}`);
    });
    assert.equal(first.map(withoutPosition), batch);
  });

  it('readAt returns every field as written', async (storage) => {
    const batch = [newRecord('order-1', 0), newRecord('order-1', 1, { data: new Uint8Array([0, 255, 7]) })];
    const written = await storage.write(batch);
    for (const [i, record] of written.entries()) {
      assert.equal(withoutPosition(storage.readAt(record.position)), batch[i]);
    }
  });

  it('readAt of a position holding no record throws', async (storage) => {
    const [record] = await storage.write([newRecord('order-1', 0)]);
    assert.throws(() => storage.readAt(record!.position + 1));
  });

  it('streamPositions lists a stream’s positions indexed by revision', async (storage) => {
    const a = await storage.write(newRecords('order-a', 0, 2));
    const b = await storage.write(newRecords('order-b', 0, 1));
    const a2 = await storage.write(newRecords('order-a', 2, 2));
    const positions = storage.streamPositions('order-a')!;
    assert.equal(
      [...positions],
      [...a, ...a2].map((record) => record.position),
    );
    assert.equal(
      positions.map((position) => storage.readAt(position).revision),
      positions.map((_, revision) => revision),
    );
    assert.equal([...storage.streamPositions('order-b')!], [b[0]!.position]);
    assert.is(storage.streamPositions('order-c'), undefined);
    assert.equal([...storage.streamIds()].sort(), ['order-a', 'order-b']);
  });

  it('readForward reads from a position inclusively, in log order, up to maxCount', async (storage) => {
    const written = [
      ...(await storage.write(newRecords('s', 0, 5))),
      ...(await storage.write(newRecords('t', 0, 5))),
    ];
    const positions = written.map((record) => record.position);
    assert.equal(
      readAll(storage).map((record) => record.position),
      positions,
    );
    assert.equal(
      storage.readForward(positions[3]!, 4).map((r) => r.position),
      positions.slice(3, 7),
    );
    assert.equal(
      storage.readForward(positions[3]! + 1, 2).map((r) => r.position),
      positions.slice(4, 6),
    );
    assert.equal(storage.readForward(storage.headPosition(), 10), []);
    assert.equal(storage.readForward(0, 0), []);
  });

  it('readBackward reads before a position exclusively, newest first, up to maxCount', async (storage) => {
    const written = await storage.write(newRecords('s', 0, 6));
    const positions = written.map((record) => record.position);
    const head = storage.headPosition();
    assert.equal(
      storage.readBackward(head, 100).map((r) => r.position),
      [...positions].reverse(),
    );
    assert.equal(
      storage.readBackward(positions[4]!, 2).map((r) => r.position),
      [positions[3], positions[2]],
    );
    assert.equal(storage.readBackward(positions[0]!, 10), []);
    assert.equal(storage.readBackward(head, 0), []);
  });

  it('headPosition passes every durable record and does not pass the next one', async (storage) => {
    const [first] = await storage.write([newRecord('s', 0)]);
    const head = storage.headPosition();
    assert.ok(head > first!.position);
    const [second] = await storage.write([newRecord('s', 1)]);
    assert.ok(storage.headPosition() > second!.position);
    assert.ok(head <= second!.position);
  });

  it('stats count events and streams', async (storage) => {
    await storage.write(newRecords('a', 0, 3));
    await storage.write(newRecords('b', 0, 2));
    const stats = storage.stats();
    assert.is(stats.events, 5);
    assert.is(stats.streams, 2);
    assert.ok(stats.bytes > 0);
  });

  it('concurrent batches each land whole and contiguous, in the order they were written', async (storage) => {
    const batches = Array.from({ length: 20 }, (_, i) => newRecords(`stream-${i}`, 0, 1 + (i % 4)));
    const written = await Promise.all(batches.map((batch) => storage.write(batch)));
    const all = readAll(storage);
    assert.is(all.length, batches.flat().length);
    assert.equal(
      all.map((record) => record.eventId),
      batches.flat().map((record) => record.eventId),
    );
    assert.equal(
      written.map((records) => records.length),
      batches.map((batch) => batch.length),
    );
  });

  it('after close, writes fail with TALLY_LEDGER_CLOSED and closing again is harmless', async (storage) => {
    await storage.write([newRecord('s', 0)]);
    await storage.close();
    await rejects(storage.write([newRecord('s', 1)]), isClosed);
    await storage.close();
  });

  test.run();
}

function isClosed(error: unknown): boolean {
  return error instanceof LedgerStorageError && error.code === 'TALLY_LEDGER_CLOSED';
}
