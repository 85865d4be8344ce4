/** Catch-up subscriptions to streams and to `$all`, through the official client. */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import {
  END,
  eventTypeFilter,
  excludeSystemEvents,
  jsonEvent,
  type ResolvedEvent,
  START,
  STREAM_NAME,
  streamNameFilter,
} from '@eventstore/db-client';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { TestLedger } from '../../../helpers/ledger.ts';
import { withTimeout } from '../../../helpers/uvu.ts';
import type { StartLedger } from './append.ts';

type Subscription = AsyncIterable<ResolvedEvent> & {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  unsubscribe(): Promise<void>;
};

/** Takes `count` events from a subscription, then leaves it (without ending the ledger's side first). */
async function take(subscription: Subscription, count: number): Promise<ResolvedEvent[]> {
  const events: ResolvedEvent[] = [];
  if (count === 0) return events;
  for await (const event of subscription) {
    events.push(event);
    if (events.length >= count) break;
  }
  return events;
}

const event = (type: string, n: number) => jsonEvent({ type, data: { n } });

export function subscribeSuite(name: string, start: StartLedger) {
  const test = suite<{ ledger: TestLedger }>(`subscribe (${name})`);
  test.before(async (context) => {
    context.ledger = await start();
  });
  test.after(async (context) => {
    await context.ledger.stop();
  });

  test(
    'confirms, catches up on a stream, signals caught-up, then delivers live events',
    withTimeout(10_000, async ({ ledger }) => {
      const { client } = ledger;
      await client.appendToStream('s-one', [event('A', 0), event('A', 1)]);
      const subscription = client.subscribeToStream('s-one', {
        fromRevision: START,
      }) as unknown as Subscription;
      const signals: string[] = [];
      subscription.on('confirmation', () => signals.push('confirmation'));
      const caughtUp = once(subscription as never, 'caughtUp').then(() => signals.push('caughtUp'));
      const received = take(subscription, 4);
      await caughtUp;
      await client.appendToStream('s-one', [event('A', 2), event('A', 3)]);
      const events = await received;
      assert.equal(
        events.map((e) => e.event?.revision),
        [0n, 1n, 2n, 3n],
      );
      assert.equal(signals, ['confirmation', 'caughtUp']);
    }),
  );

  test(
    'subscribes to a stream from the end and from an exclusive revision',
    withTimeout(10_000, async ({ ledger }) => {
      const { client } = ledger;
      await client.appendToStream('s-two', [event('B', 0), event('B', 1), event('B', 2)]);
      const fromEnd = client.subscribeToStream('s-two', { fromRevision: END }) as unknown as Subscription;
      const fromOne = client.subscribeToStream('s-two', { fromRevision: 1n }) as unknown as Subscription;
      await once(fromEnd as never, 'caughtUp');
      await client.appendToStream('s-two', event('B', 3));
      assert.equal(
        (await take(fromEnd, 1)).map((e) => e.event?.revision),
        [3n],
      );
      assert.equal(
        (await take(fromOne, 2)).map((e) => e.event?.revision),
        [2n, 3n],
      );
    }),
  );

  test(
    'subscribes to $all from the start, the end, and an exclusive position',
    withTimeout(10_000, async ({ ledger }) => {
      const { client } = ledger;
      const first = await client.appendToStream('s-all-1', event('C', 0));
      await client.appendToStream('s-all-2', event('C', 1));
      const fromStart = client.subscribeToAll({ fromPosition: START }) as unknown as Subscription;
      const fromFirst = client.subscribeToAll({ fromPosition: first.position! }) as unknown as Subscription;
      const fromEnd = client.subscribeToAll({ fromPosition: END }) as unknown as Subscription;
      await once(fromEnd as never, 'caughtUp');
      const marker = await client.appendToStream('s-all-3', event('C', 2));
      const startEvents = await collectUntil(fromStart, marker.position!.commit);
      assert.ok(startEvents.some((e) => e.event?.streamId === 's-all-1'));
      const firstEvents = await collectUntil(fromFirst, marker.position!.commit);
      assert.is(firstEvents[0]!.event!.streamId, 's-all-2', 'the position given is exclusive');
      const endEvents = await take(fromEnd, 1);
      assert.is(endEvents[0]!.event!.streamId, 's-all-3');
    }),
  );

  test(
    'filters $all on stream-name prefixes, event-type prefixes and regex',
    withTimeout(10_000, async ({ ledger }) => {
      const { client } = ledger;
      const tag = randomUUID().slice(0, 8);
      const byStream = client.subscribeToAll({
        fromPosition: START,
        filter: streamNameFilter({ prefixes: [`fs-${tag}-build`] }),
      }) as unknown as Subscription;
      const byType = client.subscribeToAll({
        fromPosition: START,
        filter: eventTypeFilter({ prefixes: [`Ty${tag}Queued`] }),
      }) as unknown as Subscription;
      const byRegex = client.subscribeToAll({
        fromPosition: START,
        filter: { filterOn: STREAM_NAME, regex: `^fs-${tag}-(eval|gc)-`, checkpointInterval: 1 },
      }) as unknown as Subscription;
      await client.appendToStream(`fs-${tag}-build-1`, jsonEvent({ type: `Ty${tag}Queued`, data: {} }));
      await client.appendToStream(`fs-${tag}-eval-1`, jsonEvent({ type: `Ty${tag}Started`, data: {} }));
      await client.appendToStream(`fs-${tag}-gc-1`, jsonEvent({ type: `Ty${tag}Queued`, data: {} }));
      await client.appendToStream(`fs-${tag}-build-2`, jsonEvent({ type: `Ty${tag}Done`, data: {} }));
      assert.equal(
        (await take(byStream, 2)).map((e) => e.event?.streamId),
        [`fs-${tag}-build-1`, `fs-${tag}-build-2`],
      );
      assert.equal(
        (await take(byType, 2)).map((e) => e.event?.streamId),
        [`fs-${tag}-build-1`, `fs-${tag}-gc-1`],
      );
      assert.equal(
        (await take(byRegex, 2)).map((e) => e.event?.streamId),
        [`fs-${tag}-eval-1`, `fs-${tag}-gc-1`],
      );
    }),
  );

  test(
    'excludes system events with the client filter',
    withTimeout(10_000, async ({ ledger }) => {
      const { client } = ledger;
      await client.setStreamMetadata('s-sys', { maxCount: 5 });
      await client.appendToStream('s-sys', event('Visible', 0));
      await client.tombstoneStream('s-sys-gone');
      const marker = await client.appendToStream('s-sys-marker', event('Visible', 1));
      const subscription = client.subscribeToAll({
        fromPosition: START,
        filter: excludeSystemEvents(),
      }) as unknown as Subscription;
      const events = await collectUntil(subscription, marker.position!.commit);
      assert.ok(events.length > 0);
      for (const e of events) assert.ok(!e.event!.type.startsWith('$'), `${e.event!.type} is a system event`);
    }),
  );

  test(
    'sends checkpoints at the client interval while filtering',
    withTimeout(10_000, async ({ ledger }) => {
      const { client } = ledger;
      const tag = randomUUID().slice(0, 8);
      const checkpoints: bigint[] = [];
      const subscription = client.subscribeToAll({
        fromPosition: END,
        filter: eventTypeFilter({
          prefixes: [`Never${tag}`],
          maxSearchWindow: 10,
          checkpointInterval: 2,
          checkpointReached: (_s, position) => {
            checkpoints.push(position.commit);
          },
        }),
      }) as unknown as Subscription;
      await once(subscription as never, 'caughtUp');
      await client.appendToStream(
        `cp-${tag}`,
        Array.from({ length: 100 }, (_, n) => event('Unwanted', n)),
      );
      const last = await client.appendToStream(`cp-${tag}`, jsonEvent({ type: `Never${tag}`, data: {} }));
      await take(subscription, 1);
      assert.is(checkpoints.length, 5, 'one checkpoint per 20 events looked at');
      for (let i = 1; i < checkpoints.length; i++) assert.ok(checkpoints[i]! > checkpoints[i - 1]!);
      assert.ok(checkpoints[4]! < last.position!.commit);
    }),
  );

  test(
    'neither skips nor repeats an event across the catch-up/live seam under concurrent appends',
    withTimeout(30_000, async ({ ledger }) => {
      const { client } = ledger;
      const tag = randomUUID().slice(0, 8);
      const writers = 4;
      const perWriter = 400;
      const appended = Promise.all(
        Array.from({ length: writers }, async (_, w) => {
          for (let i = 0; i < perWriter; i += 4) {
            await client.appendToStream(
              `seam-${tag}-${w}`,
              [0, 1, 2, 3].map((k) => event(`Seam${tag}`, i + k)),
            );
          }
        }),
      );
      // Subscribers start while the writers are busy, so some events are caught up on and some arrive live.
      const subscribers = Array.from({ length: 5 }, () =>
        take(
          client.subscribeToAll({
            fromPosition: START,
            filter: eventTypeFilter({ prefixes: [`Seam${tag}`] }),
          }) as unknown as Subscription,
          writers * perWriter,
        ),
      );
      await appended;
      for (const received of await Promise.all(subscribers)) {
        const keys = received.map((e) => `${e.event!.streamId}/${e.event!.revision}`);
        assert.is(new Set(keys).size, writers * perWriter, 'no event twice');
        for (let i = 1; i < received.length; i++) {
          assert.ok(
            received[i]!.event!.position!.commit > received[i - 1]!.event!.position!.commit,
            'log order',
          );
        }
      }
    }),
  );

  test(
    'keeps many subscribers and writers going while one subscriber reads nothing',
    withTimeout(60_000, async ({ ledger }) => {
      const { client } = ledger;
      const tag = randomUUID().slice(0, 8);
      const total = 12_000;
      const filter = eventTypeFilter({ prefixes: [`Slow${tag}`] });
      // This one goes live, then nobody reads it until the end: the client stops pulling and the ledger's
      // writes to it block while the live events keep coming.
      const stalled = client.subscribeToAll({ fromPosition: END, filter }) as unknown as Subscription;
      let fellBehind = false;
      stalled.on('fellBehind', () => {
        fellBehind = true;
      });
      await once(stalled as never, 'caughtUp');
      const fast = Array.from({ length: 8 }, () =>
        take(client.subscribeToAll({ fromPosition: START, filter }) as unknown as Subscription, total),
      );
      for (let i = 0; i < total; i += 500) {
        const batch = Array.from({ length: 500 }, (_, k) =>
          jsonEvent({ type: `Slow${tag}`, data: { n: i + k, pad: 'x'.repeat(200) } }),
        );
        await client.appendToStream(`slow-${tag}`, batch);
      }
      for (const received of await Promise.all(fast)) assert.is(received.length, total);
      // Once it reads again, the stalled subscriber still gets every event, in order, once.
      const late = await take(stalled, total);
      for (const [i, e] of late.entries()) assert.is(e.event!.revision, BigInt(i));
      assert.ok(
        fellBehind,
        'the stalled subscriber was moved off the live feed instead of buffering without bound',
      );
    }),
  );

  return test;
}

/** Reads a subscription until it has passed `commit`. */
async function collectUntil(subscription: Subscription, commit: bigint): Promise<ResolvedEvent[]> {
  const events: ResolvedEvent[] = [];
  for await (const event of subscription) {
    events.push(event);
    if (event.event!.position!.commit >= commit) break;
  }
  return events;
}
