import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { connectEventStore } from '../../../adapters/eventstore/esdb-event-store.ts';
import type { EventStore } from '../../../adapters/eventstore/event-store.ts';
import { decodeRecorded } from '../../../adapters/eventstore/read-domain-event.ts';
import type { TallyEvent } from '../../../domain/events.ts';
import { streams } from '../../../domain/shared/streams.ts';
import { allProjections } from '../../../projections/catalogue.ts';
import type { Decoder, SourceEvent } from '../../../projections/runtime/event-source.ts';
import { replayProjections } from '../../../projections/runtime/replay.ts';
import { createProjectionRunner, type RuntimeLogger } from '../../../projections/runtime/runner.ts';
import { createMemorySnapshotStore } from '../../../projections/runtime/snapshot-store.ts';
import { hashState } from '../../../projections/runtime/state-hash.ts';
import { startTestLedger, type TestLedger } from '../../helpers/ledger.ts';
import { withTimeout } from '../../helpers/uvu.ts';
import { drv, FarmHistory, job, toAppends } from '../fixtures/farm-history.ts';

interface Context {
  ledger: TestLedger;
  store: EventStore;
  farm: FarmHistory;
  /** Position of the farm's last event. */
  position: number;
}

const warnings: Record<string, unknown>[] = [];
const logger: RuntimeLogger = {
  info: () => undefined,
  warn: (object) => warnings.push(object as Record<string, unknown>),
  error: (object) => warnings.push(object as Record<string, unknown>),
};

const test = suite<Context>('events of types the domain does not know, through the whole catalogue');
test.before.each(async (context) => {
  context.ledger = await startTestLedger({ memory: true });
  context.store = await connectEventStore(context.ledger.ledger.url);
  // A farm whose history touches every read model: a specification, an evaluation, builds won and lost.
  const farm = new FarmHistory();
  farm.registerSpec('guix');
  const evaluation = farm.evaluate('guix', [job('hello'), job('gcc')]);
  farm.scheduleBuilds(evaluation);
  farm.build(drv('hello-1.0'));
  farm.build(drv('gcc-1.0'), 'failed');
  context.farm = farm;
  context.position = await appendAll(context.store, farm.events);
  warnings.length = 0;
});
test.after.each(async (context) => {
  await context.store.close();
  await context.ledger.stop();
});

async function appendAll(store: EventStore, events: FarmHistory['events']): Promise<number> {
  let position = -1;
  for (const { streamId, event } of toAppends(events))
    position = (await store.append(streamId, [event], 'any')).position;
  return position;
}

/** An event a newer Tally might write: a type this catalogue does not have. */
async function appendExploded(store: EventStore, farm: FarmHistory): Promise<number> {
  const metadata = { ...farm.events.at(-1)!.metadata };
  const appended = await store.append(
    streams.build(drv('hello-1.0')),
    [{ type: 'BuildExploded', data: { drvPath: drv('hello-1.0'), blastRadius: 3 }, metadata }],
    'any',
  );
  return appended.position;
}

const hashes = (states: (name: string) => unknown) =>
  Object.fromEntries(allProjections.map(({ name }) => [name, hashState(states(name))]));

function liveRunner(store: EventStore, decode: Decoder<TallyEvent> = decodeRecorded) {
  return createProjectionRunner({
    source: store,
    projections: allProjections,
    decode,
    snapshots: createMemorySnapshotStore(),
    logger,
  });
}

test(
  'the runner skips it, counts it, logs it once with its position, and leaves every read model as it was',
  withTimeout(15_000, async ({ store, farm, position }) => {
    const runner = liveRunner(store);
    await runner.start();
    await runner.waitFor(position);
    const before = hashes((name) => runner.state(name));

    const exploded = await appendExploded(store, farm);
    await runner.waitFor(exploded);
    assert.equal(runner.skipped, { count: 1, byReason: { 'unknown-type': 1 } });
    assert.equal(
      warnings.map(({ position, type, reason }) => ({ position, type, reason })),
      [{ position: exploded, type: 'BuildExploded', reason: 'unknown-type' }],
    );
    assert.equal(
      hashes((name) => runner.state(name)),
      before,
    );

    // What follows it is still folded.
    const next = farm.events.length;
    farm.scheduleBuilds(farm.evaluate('guix', [job('hello'), job('gcc', { version: '2' })]));
    farm.build(drv('gcc-2'));
    await runner.waitFor(await appendAll(store, farm.events.slice(next)));
    assert.not.equal(
      hashes((name) => runner.state(name)),
      before,
    );
    assert.is(runner.skipped.count, 1);
    await runner.stop();
  }),
);

test(
  'the runner neither decodes nor counts an event of a known type that no projection handles',
  withTimeout(15_000, async ({ store, farm }) => {
    assert.not.ok(
      allProjections.some((projection) => projection.canHandle('GcStarted')),
      'the catalogue still has no projection of garbage collections',
    );
    const gc = farm.record(streams.gc('gc-1'), {
      type: 'GcStarted',
      data: {
        gcId: 'gc-1',
        policy: { keepEvaluations: 3, gracePeriodSeconds: 3600, dryRun: false },
        startedAt: farm.now(),
      },
    });
    const collected = await appendAll(store, [gc]);
    const exploded = await appendExploded(store, farm);
    const asked: string[] = [];
    const decode: Decoder<TallyEvent> = Object.assign(
      (event: SourceEvent) => {
        asked.push(event.type);
        return decodeRecorded(event);
      },
      { knownTypes: decodeRecorded.knownTypes },
    );
    const runner = liveRunner(store, decode);
    await runner.start();
    await runner.waitFor(exploded);
    assert.ok(runner.positionOf('builds') >= collected);
    assert.not.ok(asked.includes('GcStarted'), 'the garbage collection was never decoded');
    assert.ok(asked.includes('BuildQueued'), 'events the projections handle were');
    assert.equal(runner.skipped, { count: 1, byReason: { 'unknown-type': 1 } });
    await runner.stop();
  }),
);

test(
  'a replay skips, counts and reports it once with its position, and ends where one stopping before it does',
  withTimeout(15_000, async ({ store, farm, position }) => {
    const exploded = await appendExploded(store, farm);
    const reported: { position: number; reason: string }[] = [];
    const replayed = await replayProjections(store, allProjections, decodeRecorded, {
      onSkip: (event, reason) => reported.push({ position: event.position, reason }),
    });
    assert.is(replayed.position, exploded);
    assert.equal(replayed.skipped, { count: 1, byReason: { 'unknown-type': 1 } });
    assert.equal(reported, [{ position: exploded, reason: 'unknown-type' }]);

    const before = await replayProjections(store, allProjections, decodeRecorded, { upTo: position });
    assert.equal(before.skipped.count, 0);
    assert.equal(
      hashes((name) => replayed.states.get(name)),
      hashes((name) => before.states.get(name)),
    );
  }),
);

test(
  "the store's own events are not counted, though the domain does not know their types either",
  withTimeout(15_000, async ({ ledger, store, farm }) => {
    await ledger.client.setStreamMetadata(streams.spec('guix'), { maxCount: 1000 });
    const exploded = await appendExploded(store, farm);
    const withSystemEvents = {
      readAll: (options: Parameters<EventStore['readAll']>[0]) =>
        store.readAll({ ...options, includeSystemEvents: true }),
    };
    const types: string[] = [];
    for await (const event of withSystemEvents.readAll({})) types.push(event.type);
    assert.ok(types.includes('$metadata'), 'the replay reads a system event');

    const reported: number[] = [];
    const replayed = await replayProjections(withSystemEvents, allProjections, decodeRecorded, {
      onSkip: (event) => reported.push(event.position),
    });
    assert.equal(replayed.skipped, { count: 1, byReason: { 'unknown-type': 1 } });
    assert.equal(reported, [exploded]);
  }),
);

test.run();
