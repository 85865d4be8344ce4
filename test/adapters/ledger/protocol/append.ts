/** Append behaviour of the ledger, through the official client. */
import { randomUUID } from 'node:crypto';
import {
  binaryEvent,
  FORWARDS,
  jsonEvent,
  MaxAppendSizeExceededError,
  START,
  StreamDeletedError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { TestLedger } from '../../../helpers/ledger.ts';
import { rejects, withTimeout } from '../../../helpers/uvu.ts';

export type StartLedger = () => Promise<TestLedger>;

async function countEvents(ledger: TestLedger, stream: string): Promise<number> {
  let count = 0;
  for await (const _ of ledger.client.readStream(stream, { direction: FORWARDS, fromRevision: START }))
    count++;
  return count;
}

export function appendSuite(name: string, start: StartLedger) {
  const test = suite<{ ledger: TestLedger }>(`append (${name})`);
  test.before(async (context) => {
    context.ledger = await start();
  });
  test.after(async (context) => {
    await context.ledger.stop();
  });
  const event = (n: number) => jsonEvent({ type: 'Tested', data: { n } });

  test(
    'appends to a new stream expecting no stream and answers the revision and position',
    withTimeout(5000, async ({ ledger }) => {
      const result = await ledger.client.appendToStream('a-new', [event(1), event(2)], {
        expectedRevision: 'no_stream',
      });
      assert.is(result.success, true);
      assert.is(result.nextExpectedRevision, 1n);
      assert.ok(result.position && result.position.commit === result.position.prepare);
    }),
  );

  test(
    'refuses no_stream on an existing stream with the actual revision',
    withTimeout(5000, async ({ ledger }) => {
      await ledger.client.appendToStream('a-exists', [event(1), event(2), event(3)]);
      const error = (await rejects(
        ledger.client.appendToStream('a-exists', event(4), { expectedRevision: 'no_stream' }),
        (e) => e instanceof WrongExpectedVersionError,
      )) as WrongExpectedVersionError;
      assert.is(error.actualVersion, 2n);
      assert.is(await countEvents(ledger, 'a-exists'), 3);
    }),
  );

  test(
    'refuses stream_exists on a missing stream, answering no_stream',
    withTimeout(5000, async ({ ledger }) => {
      const error = (await rejects(
        ledger.client.appendToStream('a-missing', event(1), { expectedRevision: 'stream_exists' }),
        (e) => e instanceof WrongExpectedVersionError,
      )) as WrongExpectedVersionError;
      assert.is(error.actualVersion, 'no_stream');
    }),
  );

  test(
    'accepts an exact expected revision and refuses a stale one',
    withTimeout(5000, async ({ ledger }) => {
      await ledger.client.appendToStream('a-exact', [event(1)]);
      const next = await ledger.client.appendToStream('a-exact', event(2), { expectedRevision: 0n });
      assert.is(next.nextExpectedRevision, 1n);
      const error = (await rejects(
        ledger.client.appendToStream('a-exact', event(3), { expectedRevision: 0n }),
        (e) => e instanceof WrongExpectedVersionError,
      )) as WrongExpectedVersionError;
      assert.is(error.actualVersion, 1n);
      assert.is(error.expectedVersion, 0n);
    }),
  );

  test(
    'lets exactly one of many concurrent appends at the same revision win',
    withTimeout(5000, async ({ ledger }) => {
      await ledger.client.appendToStream('a-race', event(0));
      const outcomes = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) =>
          ledger.client.appendToStream('a-race', event(i), { expectedRevision: 0n }),
        ),
      );
      assert.is(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
      assert.is(await countEvents(ledger, 'a-race'), 2);
    }),
  );

  test(
    'answers a retry with the same event ids with the first result and writes nothing',
    withTimeout(5000, async ({ ledger }) => {
      const events = [
        jsonEvent({ id: randomUUID(), type: 'T', data: {} }),
        jsonEvent({ id: randomUUID(), type: 'T', data: {} }),
      ];
      const first = await ledger.client.appendToStream('a-idem', events, { expectedRevision: 'no_stream' });
      const retry = await ledger.client.appendToStream('a-idem', events, { expectedRevision: 'no_stream' });
      const retryAny = await ledger.client.appendToStream('a-idem', events, { expectedRevision: 'any' });
      assert.equal(retry.position, first.position);
      assert.is(retry.nextExpectedRevision, 1n);
      assert.is(retryAny.nextExpectedRevision, 1n);
      await ledger.client.appendToStream('a-idem', event(9), { expectedRevision: 1n });
      const exactRetry = await ledger.client.appendToStream('a-idem', events, {
        expectedRevision: 'no_stream',
      });
      assert.is(exactRetry.nextExpectedRevision, 1n);
      assert.is(await countEvents(ledger, 'a-idem'), 3);
    }),
  );

  test(
    'recognises a retry of the later events of an append alone, and refuses a retry mixed with new events',
    withTimeout(5000, async ({ ledger }) => {
      const [e1, e2] = [1, 2].map(() => jsonEvent({ id: randomUUID(), type: 'T', data: {} }));
      await ledger.client.appendToStream('a-idem-part', [e1!, e2!], { expectedRevision: 'no_stream' });
      const tail = await ledger.client.appendToStream('a-idem-part', [e2!], { expectedRevision: 'any' });
      assert.is(tail.nextExpectedRevision, 1n);
      await rejects(
        ledger.client.appendToStream('a-idem-part', [e1!, event(3)], { expectedRevision: 'any' }),
        (e) => e instanceof WrongExpectedVersionError,
      );
      assert.is(await countEvents(ledger, 'a-idem-part'), 2);
    }),
  );

  test(
    'refuses a retry of an append made before the stream was tombstoned',
    withTimeout(5000, async ({ ledger }) => {
      const once = jsonEvent({ id: randomUUID(), type: 'T', data: {} });
      await ledger.client.appendToStream('a-idem-gone', once, { expectedRevision: 'no_stream' });
      await ledger.client.tombstoneStream('a-idem-gone');
      await rejects(
        ledger.client.appendToStream('a-idem-gone', once, { expectedRevision: 'no_stream' }),
        (e) => e instanceof StreamDeletedError,
      );
    }),
  );

  test(
    'checks only the expectation on an empty append, with a position the next event comes after',
    withTimeout(5000, async ({ ledger }) => {
      const missing = await ledger.client.appendToStream('a-empty-new', [], {
        expectedRevision: 'no_stream',
      });
      assert.is(missing.success, true);
      await rejects(
        ledger.client.appendToStream('a-empty-new', [], { expectedRevision: 'stream_exists' }),
        (e) => e instanceof WrongExpectedVersionError,
      );
      await ledger.client.appendToStream('a-empty', event(1));
      const checked = await ledger.client.appendToStream('a-empty', [], { expectedRevision: 0n });
      assert.is(checked.nextExpectedRevision, 0n);
      const next = await ledger.client.appendToStream('a-empty', event(2), { expectedRevision: 0n });
      assert.ok(next.position!.commit > checked.position!.commit, 'the next event lies after');
    }),
  );

  test(
    "counts the type name in an append's size, as EventStoreDB does",
    withTimeout(5000, async ({ ledger }) => {
      const type = 'T'.repeat(200);
      const data = new Uint8Array(1024 * 1024 - 100);
      await rejects(
        ledger.client.appendToStream('a-typed-size', binaryEvent({ type, data })),
        (e) => e instanceof MaxAppendSizeExceededError,
      );
      await ledger.client.appendToStream('a-typed-size', binaryEvent({ type: 'T', data }));
    }),
  );

  test(
    'refuses an append over the maximum append size and writes none of it',
    withTimeout(5000, async ({ ledger }) => {
      const huge = jsonEvent({ type: 'Huge', data: { blob: 'x'.repeat(1024 * 1024) } });
      const error = (await rejects(
        ledger.client.appendToStream('a-huge', [event(1), huge]),
        (e) => e instanceof MaxAppendSizeExceededError,
      )) as MaxAppendSizeExceededError;
      assert.is(error.maxAppendSize, 1024 * 1024);
      assert.is(await countEvents(ledger, 'a-huge').catch(() => 0), 0);
    }),
  );

  test(
    'refuses an event without a type',
    withTimeout(5000, async ({ ledger }) => {
      await rejects(ledger.client.appendToStream('a-untyped', jsonEvent({ type: '', data: {} })), /type/);
    }),
  );

  test(
    'refuses appends to a tombstoned stream',
    withTimeout(5000, async ({ ledger }) => {
      await ledger.client.appendToStream('a-gone', event(1));
      await ledger.client.tombstoneStream('a-gone');
      await rejects(ledger.client.appendToStream('a-gone', event(2)), (e) => e instanceof StreamDeletedError);
    }),
  );

  test(
    'gives every event a strictly greater position than the last, across streams',
    withTimeout(10_000, async ({ ledger }) => {
      const results = [];
      for (let i = 0; i < 30; i++)
        results.push(await ledger.client.appendToStream(`a-order-${i % 3}`, [event(i), event(i)]));
      const commits = results.map((r) => r.position!.commit);
      for (let i = 1; i < commits.length; i++)
        assert.ok(commits[i]! > commits[i - 1]!, `position ${i} did not increase`);
    }),
  );

  return test;
}
