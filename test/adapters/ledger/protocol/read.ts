/** Reads of streams and of `$all`, through the official client. */
import { BACKWARDS, END, FORWARDS, jsonEvent, START, StreamNotFoundError } from '@eventstore/db-client';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { TestLedger } from '../../../helpers/ledger.ts';
import { rejects, withTimeout } from '../../../helpers/uvu.ts';
import type { StartLedger } from './append.ts';

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

export function readSuite(name: string, start: StartLedger) {
  const test = suite<{ ledger: TestLedger; before: number }>(`read (${name})`);
  test.before(async (context) => {
    context.ledger = await start();
    const client = context.ledger.client;
    context.before = Date.now();
    await client.appendToStream(
      'r-ten',
      Array.from({ length: 10 }, (_, n) => jsonEvent({ type: 'Counted', data: { n } })),
    );
    for (let n = 0; n < 5; n++)
      await client.appendToStream(`r-other-${n}`, jsonEvent({ type: 'Other', data: { n } }));
  });
  test.after(async (context) => {
    await context.ledger.stop();
  });

  test(
    'reads a stream forwards from a revision with a count',
    withTimeout(5000, async ({ ledger }) => {
      const events = await collect(
        ledger.client.readStream('r-ten', { direction: FORWARDS, fromRevision: 3n, maxCount: 4 }),
      );
      assert.equal(
        events.map((e) => e.event?.revision),
        [3n, 4n, 5n, 6n],
      );
      assert.equal(events[0]!.event!.data, { n: 3 });
    }),
  );

  test(
    'reads a stream backwards from the end and from a revision',
    withTimeout(5000, async ({ ledger }) => {
      const fromEnd = await collect(
        ledger.client.readStream('r-ten', { direction: BACKWARDS, fromRevision: END, maxCount: 3 }),
      );
      assert.equal(
        fromEnd.map((e) => e.event?.revision),
        [9n, 8n, 7n],
      );
      const fromTwo = await collect(
        ledger.client.readStream('r-ten', { direction: BACKWARDS, fromRevision: 2n, maxCount: 10 }),
      );
      assert.equal(
        fromTwo.map((e) => e.event?.revision),
        [2n, 1n, 0n],
      );
    }),
  );

  test(
    'reads a stream past a page boundary without gaps',
    withTimeout(10_000, async ({ ledger }) => {
      const many = Array.from({ length: 1300 }, (_, n) => jsonEvent({ type: 'Paged', data: { n } }));
      await ledger.client.appendToStream('r-paged', many.slice(0, 700));
      await ledger.client.appendToStream('r-paged', many.slice(700));
      const events = await collect(ledger.client.readStream('r-paged', { fromRevision: START }));
      assert.is(events.length, 1300);
      for (const [i, e] of events.entries()) assert.is(e.event!.revision, BigInt(i));
    }),
  );

  test(
    'answers a missing stream as not found, naming it',
    withTimeout(5000, async ({ ledger }) => {
      await rejects(
        collect(ledger.client.readStream('r-never')),
        (e) => e instanceof StreamNotFoundError && e.streamName === 'r-never',
      );
    }),
  );

  test(
    'reads $all forwards from the start with strictly increasing positions',
    withTimeout(5000, async ({ ledger }) => {
      const events = await collect(
        ledger.client.readAll({ direction: FORWARDS, fromPosition: START, maxCount: 1000 }),
      );
      const mine = events.filter((e) => e.event?.streamId.startsWith('r-'));
      assert.ok(mine.length >= 15);
      for (let i = 1; i < events.length; i++) {
        assert.ok(events[i]!.event!.position!.commit > events[i - 1]!.event!.position!.commit);
        assert.is(events[i]!.event!.position!.commit, events[i]!.event!.position.prepare);
      }
    }),
  );

  test(
    'reads $all backwards from the end, newest first',
    withTimeout(5000, async ({ ledger }) => {
      const forwards = await collect(
        ledger.client.readAll({ direction: FORWARDS, fromPosition: START, maxCount: 10_000 }),
      );
      const backwards = await collect(
        ledger.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 10_000 }),
      );
      assert.equal(
        backwards.map((e) => e.event?.id),
        forwards.map((e) => e.event?.id).reverse(),
      );
    }),
  );

  test(
    'reads $all forwards from a position inclusively and backwards exclusively',
    withTimeout(5000, async ({ ledger }) => {
      const all = await collect(ledger.client.readAll({ fromPosition: START, maxCount: 10_000 }));
      const middle = all[5]!.event!.position;
      const after = await collect(
        ledger.client.readAll({ direction: FORWARDS, fromPosition: middle, maxCount: 2 }),
      );
      assert.equal(
        after.map((e) => e.event?.id),
        [all[5]!.event!.id, all[6]!.event!.id],
      );
      const before = await collect(
        ledger.client.readAll({ direction: BACKWARDS, fromPosition: middle, maxCount: 2 }),
      );
      assert.equal(
        before.map((e) => e.event?.id),
        [all[4]!.event!.id, all[3]!.event!.id],
      );
    }),
  );

  test(
    'stamps every event with the time the ledger accepted it',
    withTimeout(5000, async ({ ledger, before }) => {
      const events = await collect(ledger.client.readStream('r-ten', { maxCount: 1 }));
      const created = events[0]!.event!.created.getTime();
      assert.ok(
        created >= before - 1000 && created <= Date.now() + 1000,
        `created ${created} is not near ${before}`,
      );
    }),
  );

  return test;
}
