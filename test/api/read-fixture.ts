/**
 * An API over a real ledger with the projection runner of the server (every read model of the
 * catalogue, snapshots in memory): farm histories are appended through the event-store port and the
 * routes answer once the runner has folded them.
 */
import pino from 'pino';
import { connectEventStore } from '../../adapters/eventstore/esdb-event-store.ts';
import type { EventStore } from '../../adapters/eventstore/event-store.ts';
import { decodeRecorded } from '../../adapters/eventstore/read-domain-event.ts';
import { buildApp, type TallyApp } from '../../api/app.ts';
import type { TimeTravelOptions } from '../../api/read-models/time-travel.ts';
import type { TallyEvent } from '../../domain/events.ts';
import { allProjections } from '../../projections/catalogue.ts';
import type { ProjectedEvent } from '../../projections/runtime/projection.ts';
import { createProjectionRunner, type ProjectionRunner } from '../../projections/runtime/runner.ts';
import { createMemorySnapshotStore } from '../../projections/runtime/snapshot-store.ts';
import { startTestLedger, type TestLedger } from '../helpers/ledger.ts';
import { tempDir } from '../helpers/uvu.ts';

export interface ReadFixture {
  readonly app: TallyApp;
  readonly store: EventStore;
  readonly runner: ProjectionRunner;
  /** Appends the events in order through the port; resolves with the `$all` position of each once folded. */
  append(events: readonly ProjectedEvent<TallyEvent>[]): Promise<number[]>;
  stop(): Promise<void>;
}

const quiet = pino({ level: process.env.TALLY_TEST_LOG ?? 'silent' });

export async function startReadFixture(
  options: { readonly timeTravel?: TimeTravelOptions } = {},
): Promise<ReadFixture> {
  const ledger: TestLedger = await startTestLedger({ memory: true });
  const store = await connectEventStore(ledger.ledger.url);
  const data = await tempDir('tally-read-');
  const runner = createProjectionRunner({
    source: store,
    projections: allProjections,
    decode: decodeRecorded,
    snapshots: createMemorySnapshotStore(),
    logger: quiet,
  });
  await runner.start();
  const app = await buildApp({
    eventStore: store,
    projections: runner,
    dataDir: data.path,
    logger: quiet,
    processMetrics: false,
    ...(options.timeTravel ? { timeTravel: options.timeTravel } : {}),
  });
  await app.ready();
  return {
    app,
    store,
    runner,
    async append(events) {
      const positions: number[] = [];
      for (const { streamId, event, metadata } of events) {
        const result = await store.append(
          streamId,
          [{ type: event.type, data: event.data as unknown, metadata: { ...metadata } }],
          'any',
        );
        positions.push(result.position);
      }
      const last = positions[positions.length - 1];
      if (last !== undefined) await runner.waitFor(last, 10_000);
      return positions;
    },
    async stop() {
      await app.close();
      await runner.stop();
      await store.close();
      await ledger.stop();
      await data.cleanup();
    },
  };
}

/** The worker registration and connection a farm history leaves out. */
export function workerJoins(name: string): TallyEvent[] {
  return [
    {
      type: 'WorkerRegistered',
      data: {
        name,
        systems: ['x86_64-linux'],
        cores: 8,
        memoryBytes: 2 ** 34,
        diskBytes: 2 ** 40,
        version: '0.1.0',
      },
    },
    { type: 'WorkerConnected', data: { name } },
  ];
}
