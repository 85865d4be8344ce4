/**
 * An API under test: `buildApp` over a real in-memory ledger, with a token file in a temporary data
 * directory holding one token (for `user:alice`). `routes` adds test-only routes before the app starts;
 * `readModels` runs the server's projection runner (every read model, snapshots in memory) as
 * `tally serve` does, instead of replaying a read model for each read.
 */
import pino from 'pino';
import { connectEventStore } from '../../adapters/eventstore/esdb-event-store.ts';
import type { EventStore } from '../../adapters/eventstore/event-store.ts';
import { decodeRecorded } from '../../adapters/eventstore/read-domain-event.ts';
import { type BuildAppOptions, buildApp, type TallyApp } from '../../api/app.ts';
import { openTokenStore, type TokenStore } from '../../api/auth/token-store.ts';
import { allProjections } from '../../projections/catalogue.ts';
import { createProjectionRunner, type ProjectionRunner } from '../../projections/runtime/runner.ts';
import { createMemorySnapshotStore } from '../../projections/runtime/snapshot-store.ts';
import { startTestLedger, type TestLedger } from '../helpers/ledger.ts';
import { tempDir } from '../helpers/uvu.ts';

export interface ApiFixture {
  readonly app: TallyApp;
  readonly store: EventStore;
  readonly ledger: TestLedger;
  readonly tokens: TokenStore;
  /** A valid token of `user:alice`. */
  readonly token: string;
  readonly dataDir: string;
  /** With `readModels`: the projection runner the app reads. */
  readonly runner?: ProjectionRunner;
  /** With `readModels`: resolves once every read model has folded every event in the store. */
  caughtUp(): Promise<void>;
  stop(): Promise<void>;
}

export interface ApiFixtureOptions extends Partial<Omit<BuildAppOptions, 'eventStore' | 'dataDir'>> {
  readonly routes?: (app: TallyApp) => void;
  readonly readModels?: boolean;
}

export async function startApiFixture(options: ApiFixtureOptions = {}): Promise<ApiFixture> {
  const { routes, readModels, ...appOptions } = options;
  const ledger = await startTestLedger({ memory: true });
  const store = await connectEventStore(ledger.ledger.url);
  const data = await tempDir('tally-api-');
  const tokens = openTokenStore(data.path);
  const token = await tokens.createFirstToken('alice');
  if (!token) throw new Error('a fresh data directory must give a first token');
  const logger = pino({ level: process.env.TALLY_TEST_LOG ?? 'silent' });
  let runner: ProjectionRunner | undefined;
  if (readModels) {
    runner = createProjectionRunner({
      source: store,
      projections: allProjections,
      decode: decodeRecorded,
      snapshots: createMemorySnapshotStore(),
      logger,
    });
    await runner.start();
  }
  const app = await buildApp({
    eventStore: store,
    dataDir: data.path,
    logger,
    tokens,
    processMetrics: false,
    ...(runner ? { projections: runner } : {}),
    ...appOptions,
  });
  routes?.(app);
  await app.ready();
  return {
    app,
    store,
    ledger,
    tokens,
    token,
    dataDir: data.path,
    ...(runner ? { runner } : {}),
    async caughtUp() {
      if (!runner) throw new Error('caughtUp() needs startApiFixture({ readModels: true })');
      for await (const last of store.readAll({ direction: 'backwards', limit: 1 }))
        await runner.waitFor(last.position, 10_000);
    },
    async stop() {
      await app.close();
      await runner?.stop();
      await store.close();
      await ledger.stop();
      await data.cleanup();
    },
  };
}

/** The JSON body of an injected or fetched response, typed loosely for assertions. */
export type Json = Record<string, unknown>;
