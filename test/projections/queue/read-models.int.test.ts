import { randomUUID } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { connectEventStore } from '../../../adapters/eventstore/esdb-event-store.ts';
import type { EventStore } from '../../../adapters/eventstore/event-store.ts';
import { decodeRecorded } from '../../../adapters/eventstore/read-domain-event.ts';
import { envelop } from '../../../domain/envelope.ts';
import type { TallyEvent } from '../../../domain/events.ts';
import { streams } from '../../../domain/shared/streams.ts';
import { type MetricsState, metricsProjection, metricsSummary } from '../../../projections/metrics/index.ts';
import { blockedBy, listQueue, type QueueState, queueProjection } from '../../../projections/queue/index.ts';
import { replayProjections } from '../../../projections/runtime/replay.ts';
import { createProjectionRunner, type RuntimeLogger } from '../../../projections/runtime/runner.ts';
import { createMemorySnapshotStore } from '../../../projections/runtime/snapshot-store.ts';
import { hashState } from '../../../projections/runtime/state-hash.ts';
import { getWorker, type WorkersState, workersProjection } from '../../../projections/workers/index.ts';
import { startTestLedger, type TestLedger } from '../../helpers/ledger.ts';
import { withTimeout } from '../../helpers/uvu.ts';
import { dispatched, queued, started, succeeded } from './builds.ts';
import { at, drv } from './history.ts';

interface Context {
  ledger: TestLedger;
  store: EventStore;
}

const logger: RuntimeLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };
const test = suite<Context>('queue, workers and metrics over a real ledger');
test.before.each(async (context) => {
  context.ledger = await startTestLedger({ memory: true });
  context.store = await connectEventStore(context.ledger.ledger.url);
});
test.after.each(async (context) => {
  await context.store.close();
  await context.ledger.stop();
});

/** Appends events to one stream through the port, with the domain's ids and metadata. */
async function append(store: EventStore, stream: string, events: TallyEvent[], minutes: number) {
  const envelopes = envelop(events, {
    cause: { kind: 'command', id: randomUUID() },
    actor: 'system',
    at: at(minutes),
  });
  return store.append(
    stream,
    envelopes.map(({ id, type, data, metadata }) => ({ id, type, data, metadata: { ...metadata } })),
    'any',
  );
}

const [libc, hello] = [drv('libc'), drv('hello')];

test(
  'folds a history appended through the port and answers queries on the live state',
  withTimeout(15_000, async ({ store }) => {
    await append(
      store,
      streams.worker('w1'),
      [
        {
          type: 'WorkerRegistered',
          data: {
            name: 'w1',
            systems: ['x86_64-linux'],
            cores: 4,
            memoryBytes: 2 ** 33,
            diskBytes: 2 ** 36,
            version: '0.1.0',
          },
        },
        { type: 'WorkerConnected', data: { name: 'w1' } },
      ],
      0,
    );
    await append(store, streams.build(libc), [queued(libc)], 1);
    await append(store, streams.build(hello), [queued(hello, { dependencies: [libc] })], 1);
    const runner = createProjectionRunner({
      source: store,
      projections: [queueProjection, workersProjection, metricsProjection],
      decode: decodeRecorded,
      snapshots: createMemorySnapshotStore(),
      logger,
    });
    await runner.start();
    await append(store, streams.build(libc), [dispatched(libc), started(libc, at(3))], 3);
    const last = await append(
      store,
      streams.build(libc),
      [succeeded(libc, { startedAt: at(3), finishedAt: at(8) })],
      8,
    );
    await runner.waitFor(last.position);

    const queue = runner.state<QueueState>('queue');
    assert.equal(
      listQueue(queue, { system: 'x86_64-linux', limit: 10 }).items.map((i) => [i.drvPath, i.runnable]),
      [[hello, true]],
    );
    assert.equal(blockedBy(queue, hello)?.waitingOn, []);
    const worker = getWorker(runner.state<WorkersState>('workers'), 'w1');
    assert.is(worker?.status, 'connected');
    assert.equal(worker?.current, []);
    assert.is(worker?.utilisation.lastHour.busyMs, 5 * 60_000);
    const today = metricsSummary(runner.state<MetricsState>('metrics'), { days: 1 }).days[0];
    assert.is(today?.builds.succeeded, 1);
    assert.is(today?.newDerivations, 2);
    assert.equal(today?.queueWaitMs, { count: 1, p50: 2 * 60_000, p90: 2 * 60_000, p99: 2 * 60_000 });

    const replayed = await replayProjections(
      store,
      [queueProjection, workersProjection, metricsProjection],
      decodeRecorded,
    );
    for (const name of ['queue', 'workers', 'metrics'])
      assert.is(
        hashState(replayed.states.get(name)),
        hashState(runner.state(name)),
        `${name} replays to the live state`,
      );
    assert.is(runner.skipped.count, 0);
    await runner.stop();
  }),
);

test.run();
