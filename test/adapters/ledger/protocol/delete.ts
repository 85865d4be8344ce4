/** Soft delete, tombstones and stream metadata, through the official client. */
import {
  FORWARDS,
  jsonEvent,
  START,
  StreamDeletedError,
  StreamNotFoundError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { TestLedger } from '../../../helpers/ledger.ts';
import { rejects, withTimeout } from '../../../helpers/uvu.ts';
import type { StartLedger } from './append.ts';

async function revisions(ledger: TestLedger, stream: string): Promise<bigint[]> {
  const found: bigint[] = [];
  for await (const e of ledger.client.readStream(stream, { direction: FORWARDS, fromRevision: START }))
    found.push(e.event!.revision);
  return found;
}

const events = (count: number) =>
  Array.from({ length: count }, (_, n) => jsonEvent({ type: 'D', data: { n } }));

export function deleteSuite(name: string, start: StartLedger) {
  const test = suite<{ ledger: TestLedger }>(`delete and metadata (${name})`);
  test.before(async (context) => {
    context.ledger = await start();
  });
  test.after(async (context) => {
    await context.ledger.stop();
  });

  test(
    'soft-deletes a stream: reads find nothing, and a new append continues after the old revisions',
    withTimeout(5000, async ({ ledger }) => {
      await ledger.client.appendToStream('d-soft', events(3));
      await ledger.client.deleteStream('d-soft');
      await rejects(revisions(ledger, 'd-soft'), (e) => e instanceof StreamNotFoundError);
      const again = await ledger.client.appendToStream('d-soft', events(1), {
        expectedRevision: 'no_stream',
      });
      assert.is(again.nextExpectedRevision, 3n);
      assert.equal(await revisions(ledger, 'd-soft'), [3n]);
    }),
  );

  test(
    'soft-deletes as EventStoreDB: the deleted mark alone, old events hidden through new metadata and new events',
    withTimeout(5000, async ({ ledger }) => {
      const { client } = ledger;
      await client.appendToStream('d-mark', events(3));
      await client.setStreamMetadata('d-mark', { maxAge: 3600, custom: 'kept?' } as never);
      await client.deleteStream('d-mark');
      const marked = (await client.getStreamMetadata('d-mark')).metadata as Record<string, unknown>;
      assert.equal(Object.keys(marked), ['truncateBefore'], 'the other metadata goes with the delete');
      // New metadata does not bring the old events back.
      await client.setStreamMetadata('d-mark', { maxCount: 10 });
      assert.equal(await revisions(ledger, 'd-mark'), []);
      assert.is(Number((await client.getStreamMetadata('d-mark')).metadata?.truncateBefore), 3);
      await client.appendToStream('d-mark', events(1));
      assert.equal(await revisions(ledger, 'd-mark'), [3n]);
    }),
  );

  test(
    'takes a soft-deleted stream for absent, one with metadata alone for present, and $tb for truncation only',
    withTimeout(5000, async ({ ledger }) => {
      const { client } = ledger;
      await client.appendToStream('d-exists', events(1));
      await client.deleteStream('d-exists');
      await rejects(
        client.appendToStream('d-exists', events(1), { expectedRevision: 'stream_exists' }),
        (e) => e instanceof StreamDeletedError,
      );
      await client.setStreamMetadata('d-meta-only', { maxCount: 5 });
      await client.appendToStream('d-meta-only', events(1), { expectedRevision: 'stream_exists' });
      await client.appendToStream('d-truncated', events(2));
      await client.setStreamMetadata('d-truncated', { truncateBefore: 5 });
      await rejects(
        client.appendToStream('d-truncated', events(1), { expectedRevision: 'no_stream' }),
        (e) => e instanceof WrongExpectedVersionError,
      );
      assert.equal(await revisions(ledger, 'd-truncated'), [], 'truncated, yet there');
      await rejects(client.deleteStream('d-never'), (e) => e instanceof WrongExpectedVersionError);
    }),
  );

  test(
    'refuses a delete with a wrong expected revision',
    withTimeout(5000, async ({ ledger }) => {
      await ledger.client.appendToStream('d-wrong', events(2));
      const error = (await rejects(
        ledger.client.deleteStream('d-wrong', { expectedRevision: 5n }),
        (e) => e instanceof WrongExpectedVersionError,
      )) as WrongExpectedVersionError;
      assert.is(error.actualVersion, 1n);
      assert.equal(await revisions(ledger, 'd-wrong'), [0n, 1n]);
    }),
  );

  test(
    'tombstones a stream: reads and appends are refused as deleted, for good',
    withTimeout(5000, async ({ ledger }) => {
      await ledger.client.appendToStream('d-hard', events(2));
      await ledger.client.tombstoneStream('d-hard');
      await rejects(revisions(ledger, 'd-hard'), (e) => e instanceof StreamDeletedError);
      await rejects(
        ledger.client.appendToStream('d-hard', events(1)),
        (e) => e instanceof StreamDeletedError,
      );
      await rejects(ledger.client.tombstoneStream('d-hard'), (e) => e instanceof StreamDeletedError);
    }),
  );

  test(
    'honours $maxCount on reads',
    withTimeout(5000, async ({ ledger }) => {
      await ledger.client.setStreamMetadata('d-count', { maxCount: 3 });
      await ledger.client.appendToStream('d-count', events(10));
      assert.equal(await revisions(ledger, 'd-count'), [7n, 8n, 9n]);
      const meta = await ledger.client.getStreamMetadata('d-count');
      assert.equal(meta.metadata, { maxCount: 3 });
    }),
  );

  test(
    'honours $tb (truncate before) on reads',
    withTimeout(5000, async ({ ledger }) => {
      await ledger.client.appendToStream('d-tb', events(6));
      await ledger.client.setStreamMetadata('d-tb', { truncateBefore: 4 });
      assert.equal(await revisions(ledger, 'd-tb'), [4n, 5n]);
    }),
  );

  test(
    'honours $maxAge on reads',
    withTimeout(8000, async ({ ledger }) => {
      await ledger.client.appendToStream('d-age', events(2));
      await ledger.client.setStreamMetadata('d-age', { maxAge: 1 });
      assert.equal(await revisions(ledger, 'd-age'), [0n, 1n]);
      // $maxAge is in whole seconds: let the first two events age past it.
      await new Promise((resolve) => setTimeout(resolve, 1100));
      await ledger.client.appendToStream('d-age', events(1));
      assert.equal(await revisions(ledger, 'd-age'), [2n]);
      // Every event aged away: the stream is still there, empty, not deleted.
      await new Promise((resolve) => setTimeout(resolve, 1100));
      assert.equal(await revisions(ledger, 'd-age'), []);
    }),
  );

  test(
    'keeps only the latest event of a metadata stream readable',
    withTimeout(5000, async ({ ledger }) => {
      for (const maxCount of [1, 2, 3]) await ledger.client.setStreamMetadata('d-meta', { maxCount });
      assert.equal(await revisions(ledger, '$$d-meta'), [2n]);
      assert.equal((await ledger.client.getStreamMetadata('d-meta')).metadata, { maxCount: 3 });
    }),
  );

  return test;
}
