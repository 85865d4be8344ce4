import pino from 'pino';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { connectEventStore } from '../../../adapters/eventstore/esdb-event-store.ts';
import type { EventStore } from '../../../adapters/eventstore/event-store.ts';
import { createFileSnapshotStore } from '../../../adapters/projection-snapshots/file-snapshot-store.ts';
import type { EventSource } from '../../../projections/runtime/event-source.ts';
import { replayProjections } from '../../../projections/runtime/replay.ts';
import { createProjectionRunner, type RuntimeLogger } from '../../../projections/runtime/runner.ts';
import {
  createMemorySnapshotStore,
  type SnapshotStore,
} from '../../../projections/runtime/snapshot-store.ts';
import { hashState } from '../../../projections/runtime/state-hash.ts';
import { startTestLedger, type TestLedger } from '../../helpers/ledger.ts';
import { tempDir, withTimeout } from '../../helpers/uvu.ts';
import { countsByType, decodeToy, sumOfAdded } from './toy-projections.ts';

interface Context {
  ledger: TestLedger;
  store: EventStore;
}

const warnings: object[] = [];
const logger: RuntimeLogger = {
  info: () => undefined,
  warn: (object) => warnings.push(object),
  error: (object) => warnings.push(object),
};

const test = suite<Context>('projection runner');
test.before.each(async (context) => {
  context.ledger = await startTestLedger({ memory: true });
  context.store = await connectEventStore(context.ledger.ledger.url);
});
test.after.each(async (context) => {
  await context.store.close();
  await context.ledger.stop();
});

function runner(store: EventStore, snapshots: SnapshotStore, version = 1, snapshotEveryEvents = 5) {
  return createProjectionRunner({
    source: store,
    projections: [countsByType(version), sumOfAdded],
    decode: decodeToy,
    snapshots,
    logger,
    snapshotEveryEvents,
  });
}

const added = (n: number) => ({ type: 'Added', data: { n } });

test(
  'folds existing and live events, and waits for a position (read-your-writes)',
  withTimeout(10_000, async ({ store }) => {
    await store.append('toy-1', [added(1), added(2), { type: 'Other', data: {} }], 'no_stream');
    const live = runner(store, createMemorySnapshotStore());
    await live.start();
    const appended = await store.append('toy-1', [added(10)], 2);
    await live.waitFor(appended.position);
    assert.equal(live.state('sum'), { total: 13, last: appended.position });
    assert.equal(live.state('counts'), { Added: 3, Other: 1 });
    await live.stop();
  }),
);

test(
  "rebuilds from the events a snapshot of another store, or one ahead of the store's last event",
  withTimeout(15_000, async ({ store, ledger }) => {
    let head = (await store.append('toy-own', [added(1), added(2)], 'no_stream')).position;
    const saved = createMemorySnapshotStore();
    const first = runner(store, saved, 1, 1);
    await first.start();
    await first.saveNow();
    await first.stop();
    const own = saved.saved.get('sum')!;
    assert.type(own.store, 'string', 'a snapshot names the store it was folded from');

    // The same snapshot is taken up again: its state, not a fold of the events, answers.
    const trusted = createMemorySnapshotStore();
    trusted.saved.set('sum', { ...own, state: { total: 1000, last: own.position } });
    const again = runner(store, trusted);
    await again.start();
    assert.is(again.state<{ total: number }>('sum').total, 1000);
    await again.stop();

    // A checkpoint may stand past the last event, at a record of the store's own: still this store's.
    await ledger.client.setStreamMetadata('toy-own', { maxCount: 1000 });
    let last = -1;
    for await (const record of store.readAll({ direction: 'backwards', limit: 1, includeSystemEvents: true }))
      last = record.position;
    assert.ok(last > own.position, 'a record of the store past the last event');
    const atCheckpoint = createMemorySnapshotStore();
    atCheckpoint.saved.set('sum', { ...own, position: last, state: { total: 1000, last } });
    const resumed = runner(store, atCheckpoint);
    await resumed.start();
    assert.is(resumed.state<{ total: number }>('sum').total, 1000, 'taken up, not rebuilt');
    await resumed.stop();

    for (const [what, snapshot] of [
      ['another store', { ...own, store: 'another@0@2020-01-01T00:00:00.000Z', state: { total: 1000 } }],
      ['ahead of the store', { ...own, position: own.position + 1_000_000, state: { total: 1000 } }],
    ] as const) {
      warnings.length = 0;
      const stale = createMemorySnapshotStore();
      stale.saved.set('sum', snapshot);
      const live = runner(store, stale);
      await live.start();
      await live.waitFor(head);
      assert.is(live.state<{ total: number }>('sum').total, 3, `${what}: folded from the events`);
      assert.ok(warnings.length > 0, `${what}: said so`);
      // A write after it is folded in, whatever position the stale snapshot claimed.
      const next = await store.append('toy-own', [added(10)], 'any');
      await live.waitFor(next.position);
      assert.is(live.state<{ total: number }>('sum').total, 13, `${what}: the next write counts`);
      await live.stop();
      // Take the write back out of the sum for the next round.
      head = (await store.append('toy-own', [added(-10)], 'any')).position;
    }
  }),
);

/** A runner of `sumOfAdded` over `store`, saving in `snapshots` as `saving` says. */
function sumRunner(
  store: EventStore,
  snapshots: SnapshotStore,
  saving: { readonly snapshotEveryEvents: number; readonly snapshotQuietMs: number },
) {
  return createProjectionRunner({
    source: store,
    projections: [sumOfAdded],
    decode: decodeToy,
    snapshots,
    logger,
    ...saving,
  });
}

test(
  'writes a snapshot due by count once the feed pauses, not in the middle of a burst',
  withTimeout(15_000, async ({ store }) => {
    const snapshots = createMemorySnapshotStore();
    const live = sumRunner(store, snapshots, { snapshotEveryEvents: 5, snapshotQuietMs: 1500 });
    await live.start();
    const burst = await store.append(
      'toy-quiet',
      Array.from({ length: 40 }, (_, n) => added(n)),
      'no_stream',
    );
    await live.waitFor(burst.position);
    assert.is(snapshots.saved.get('sum'), undefined, 'eight times the count folded, nothing saved yet');
    const started = Date.now();
    while (!snapshots.saved.has('sum')) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(Date.now() - started > 500, 'saved after the pause, not at once');
    assert.is(snapshots.saved.get('sum')?.position, burst.position);

    // Past ten times the count, a snapshot is written even while events keep coming.
    const long = await store.append(
      'toy-quiet',
      Array.from({ length: 60 }, (_, n) => added(n)),
      39,
    );
    await live.waitFor(long.position);
    const folded = Date.now();
    while (snapshots.saved.get('sum')!.position === burst.position && Date.now() - folded < 500)
      await new Promise((resolve) => setTimeout(resolve, 10));
    assert.ok(snapshots.saved.get('sum')!.position > burst.position, 'the hard cap saved before any pause');
    await live.stop();
  }),
);

test(
  'after a save on demand, still writes the next snapshot due by count at a pause; saves every projection at its position',
  withTimeout(15_000, async ({ store }) => {
    const snapshots = createMemorySnapshotStore();
    const live = sumRunner(store, snapshots, { snapshotEveryEvents: 3, snapshotQuietMs: 200 });
    await live.start();
    const first = await store.append('toy-on-demand', [1, 2, 3, 4, 5].map(added), 'no_stream');
    await live.waitFor(first.position);
    // A pause is being waited for when the save on demand comes.
    await new Promise((resolve) => setTimeout(resolve, 50));
    await live.saveNow();
    assert.is(snapshots.saved.get('sum')?.position, first.position);
    const second = await store.append('toy-on-demand', [6, 7, 8, 9, 10].map(added), 4);
    await live.waitFor(second.position);
    const folded = Date.now();
    while (snapshots.saved.get('sum')!.position !== second.position && Date.now() - folded < 3000)
      await new Promise((resolve) => setTimeout(resolve, 20));
    assert.is(snapshots.saved.get('sum')!.position, second.position, 'saved at the next pause');

    // Events the projection passes over move its position; a save on demand stands at it.
    const other = await store.append('toy-on-demand', [{ type: 'Other', data: {} }], 9);
    await live.waitFor(other.position);
    const [reported] = await live.saveNow();
    assert.is(reported?.position, other.position);
    assert.is(
      snapshots.saved.get('sum')!.position,
      other.position,
      'the snapshot stands where it was said to',
    );
    await live.stop();
  }),
);

test(
  'writes a snapshot due by age at a pause too, and at ten times the age whatever the pace',
  withTimeout(15_000, async ({ store }) => {
    const snapshots = createMemorySnapshotStore();
    let clock = 1_000_000;
    const live = createProjectionRunner({
      source: store,
      projections: [sumOfAdded],
      decode: decodeToy,
      snapshots,
      logger,
      snapshotEveryEvents: 1000,
      snapshotEveryMs: 30_000,
      snapshotQuietMs: 800,
      now: () => clock,
    });
    await live.start();
    const first = await store.append('toy-age', [added(1)], 'no_stream');
    await live.waitFor(first.position);
    clock += 31_000;
    const second = await store.append('toy-age', [added(2)], 0);
    await live.waitFor(second.position);
    assert.is(snapshots.saved.get('sum'), undefined, 'due by age, but events are still coming');
    const folded = Date.now();
    while (!snapshots.saved.has('sum')) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(Date.now() - folded > 400, 'saved after the pause, not at once');
    assert.is(snapshots.saved.get('sum')?.position, second.position);

    const third = await store.append('toy-age', [added(3)], 1);
    await live.waitFor(third.position);
    clock += 301_000;
    const fourth = await store.append('toy-age', [added(4)], 2);
    await live.waitFor(fourth.position);
    const overdue = Date.now();
    while (snapshots.saved.get('sum')!.position !== fourth.position && Date.now() - overdue < 400)
      await new Promise((resolve) => setTimeout(resolve, 10));
    assert.is(
      snapshots.saved.get('sum')!.position,
      fourth.position,
      'ten times the age saved before any pause',
    );
    await live.stop();
  }),
);

test(
  'resumes from its snapshot instead of replaying, and rebuilds when the version changes',
  withTimeout(10_000, async ({ store }) => {
    const snapshots = createMemorySnapshotStore();
    await store.append(
      'toy-2',
      Array.from({ length: 12 }, (_, n) => added(n)),
      'no_stream',
    );
    const first = runner(store, snapshots);
    await first.start();
    const last = await store.append('toy-2', [added(100)], 11);
    await first.waitFor(last.position);
    await first.stop();
    assert.is(snapshots.saved.get('sum')?.position, last.position);

    // A tampered snapshot proves the second run starts from it rather than from the events.
    snapshots.saved.set('sum', { ...snapshots.saved.get('sum')!, state: { total: -1, last: last.position } });
    const second = runner(store, snapshots);
    await second.start();
    const next = await store.append('toy-2', [added(1)], 12);
    await second.waitFor(next.position);
    assert.is(second.state<{ total: number }>('sum').total, 0, 'continued from the snapshot');
    await second.stop();

    const bumped = runner(store, snapshots, 2);
    assert.equal((await bumped.lag()).behind, ['counts', 'sum'], 'nothing is loaded before the start');
    await bumped.start();
    await bumped.waitFor(next.position);
    assert.equal((await bumped.lag()).behind, [], 'the rebuilt projection caught up');
    assert.equal(
      bumped.state('counts'),
      { Added: 14 },
      'counts rebuilt from the first event after its version changed',
    );
    await bumped.stop();
  }),
);

test(
  'skips and counts events the domain cannot read, logging each with its position',
  withTimeout(10_000, async ({ store, ledger }) => {
    await store.append('toy-3', [added(1)], 'no_stream');
    const { jsonEvent } = await import('@eventstore/db-client');
    await ledger.client.appendToStream('toy-3', jsonEvent({ type: 'Added', data: [1, 2] as never }));
    const last = await store.append('toy-3', [added(2)], 1);
    warnings.length = 0;
    const live = runner(store, createMemorySnapshotStore());
    await live.start();
    await live.waitFor(last.position);
    assert.is(live.state<{ total: number }>('sum').total, 3);
    assert.is(live.skipped.count, 1);
    assert.ok(warnings.some((w) => 'position' in w && 'reason' in w));
    await live.stop();
  }),
);

test(
  'replays to the same state as the live run, and answers as of an earlier position',
  withTimeout(10_000, async ({ store }) => {
    const first = await store.append('toy-4', [added(1), added(2)], 'no_stream');
    await store.append('toy-4', [added(4), { type: 'Other', data: {} }], 1);
    const live = runner(store, createMemorySnapshotStore());
    await live.start();
    const last = await store.append('toy-4', [added(8)], 3);
    await live.waitFor(last.position);
    const replayed = await replayProjections(store, [countsByType(), sumOfAdded], decodeToy);
    assert.is(hashState(replayed.states.get('sum')), hashState(live.state('sum')));
    assert.is(hashState(replayed.states.get('counts')), hashState(live.state('counts')));
    const asOfFirst = await replayProjections(store, [sumOfAdded], decodeToy, { upTo: first.position });
    assert.is((asOfFirst.states.get('sum') as { total: number }).total, 3);
    await live.stop();
  }),
);

test(
  'follows again from where it got to when the store ends its subscription without an error',
  withTimeout(15_000, async ({ store }) => {
    // A store that ends the runner's first subscription cleanly after two events, as a server shutting
    // down in good order does; later subscriptions are the real store's.
    let subscriptions = 0;
    const ending: EventSource = {
      readAll: (options) => store.readAll(options),
      subscribeToAll(options) {
        subscriptions += 1;
        const inner = store.subscribeToAll(options);
        if (subscriptions > 1) return inner;
        return {
          started: () => inner.started(),
          cancel: () => inner.cancel(),
          async *[Symbol.asyncIterator]() {
            let events = 0;
            for await (const message of inner) {
              yield message;
              if (message.kind === 'event' && ++events === 2) break;
            }
          },
        };
      },
    };
    await store.append('toy-1', [added(1), added(2), added(3)], 'no_stream');
    warnings.length = 0;
    const live = createProjectionRunner({
      source: ending,
      projections: [sumOfAdded],
      decode: decodeToy,
      snapshots: createMemorySnapshotStore(),
      logger,
    });
    await live.start();
    const appended = await store.append('toy-1', [added(10)], 2);
    await live.waitFor(appended.position, 10_000);
    assert.equal(live.state('sum'), { total: 16, last: appended.position });
    assert.is(subscriptions, 2);
    assert.is(warnings.length, 1);
    await live.stop();
  }),
);

test(
  'reports its lag behind the head of the store',
  withTimeout(10_000, async ({ store }) => {
    const live = runner(store, createMemorySnapshotStore());
    await live.start();
    const appended = await store.append('toy-5', [added(1)], 'no_stream');
    await live.waitFor(appended.position);
    const lag = await live.lag();
    assert.is(lag.headPosition, appended.position);
    assert.ok(lag.caughtUp);
    await live.stop();
  }),
);

test(
  'answers for a projection as soon as its own snapshot is loaded, while the next one still loads',
  withTimeout(10_000, async ({ store }) => {
    const appended = await store.append('toy-7', [added(4), added(6)], 'no_stream');
    const saved = createMemorySnapshotStore();
    const snapshots: SnapshotStore = { ...saved, save: (snapshot) => saved.save(snapshot) };
    const firstRun = runner(store, saved);
    await firstRun.start();
    await firstRun.waitFor(appended.position);
    await firstRun.stop();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The second projection's snapshot arrives only once the test lets it.
    snapshots.load = async (name) => {
      if (name === 'sum') await gate;
      return saved.load(name);
    };
    const live = runner(store, snapshots);
    const starting = live.start();
    await live.loaded('counts');
    assert.equal(live.state('counts'), { Added: 2 });
    assert.is(live.positionOf('counts'), appended.position);
    assert.throws(
      () => live.state('sum'),
      (error: { code?: string }) => error.code === 'TALLY_PROJECTIONS_LOADING',
    );
    assert.is(live.position(), -1, 'not every projection has reached any position yet');
    assert.equal(live.loading(), ['sum']);
    let sumLoaded = false;
    const waiting = live.loaded('sum').then(() => {
      sumLoaded = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.not.ok(sumLoaded, 'a read of the loading projection waits');
    release();
    await waiting;
    assert.equal(live.state('sum'), { total: 10, last: appended.position });
    assert.equal(live.loading(), []);
    await starting;
    const more = await store.append('toy-7', [added(1)], 1);
    await live.waitFor(more.position);
    assert.equal(live.state('sum'), { total: 11, last: more.position });
    await live.stop();
  }),
);

test(
  'stops cleanly while snapshots are still loading, and does not follow afterwards',
  withTimeout(10_000, async ({ store }) => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const memory = createMemorySnapshotStore();
    const snapshots: SnapshotStore = {
      load: async (name) => {
        await gate;
        return memory.load(name);
      },
      save: memory.save,
    };
    const live = runner(store, snapshots);
    const starting = live.start();
    const stopping = live.stop();
    release();
    await stopping;
    await starting;
    await store.append('toy-8', [added(3)], 'no_stream');
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(live.state('sum'), { total: 0, last: -1 });
  }),
);

test(
  'keeps snapshots in files that survive the process, and ignores a damaged one',
  withTimeout(10_000, async ({ store }) => {
    const dir = await tempDir();
    try {
      const files = createFileSnapshotStore(dir.path, pino({ level: 'silent' }));
      const appended = await store.append('toy-6', [added(5)], 'no_stream');
      const live = runner(store, files);
      await live.start();
      await live.waitFor(appended.position);
      await live.stop();
      assert.equal((await files.load('sum'))?.state, { total: 5, last: appended.position });
      const { readFile, writeFile } = await import('node:fs/promises');
      const saved = await readFile(`${dir.path}/sum.jsonl`, 'utf8');
      await writeFile(`${dir.path}/sum.jsonl`, saved.slice(0, saved.length - 5));
      assert.is(await files.load('sum'), undefined);
    } finally {
      await dir.cleanup();
    }
  }),
);

test.run();
