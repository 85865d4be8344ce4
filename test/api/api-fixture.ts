/**
 * An API under test: `buildApp` over a real in-memory ledger, with a token file in a temporary data
 * directory holding one token (for `user:alice`). `routes` adds test-only routes before the app starts.
 */
import pino from 'pino';
import { connectEventStore } from '../../adapters/eventstore/esdb-event-store.ts';
import type { EventStore } from '../../adapters/eventstore/event-store.ts';
import { type BuildAppOptions, buildApp, type TallyApp } from '../../api/app.ts';
import { openTokenStore, type TokenStore } from '../../api/auth/token-store.ts';
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
  stop(): Promise<void>;
}

export interface ApiFixtureOptions extends Partial<Omit<BuildAppOptions, 'eventStore' | 'dataDir'>> {
  readonly routes?: (app: TallyApp) => void;
}

export async function startApiFixture(options: ApiFixtureOptions = {}): Promise<ApiFixture> {
  const { routes, ...appOptions } = options;
  const ledger = await startTestLedger({ memory: true });
  const store = await connectEventStore(ledger.ledger.url);
  const data = await tempDir('tally-api-');
  const tokens = openTokenStore(data.path);
  const token = await tokens.createFirstToken('alice');
  if (!token) throw new Error('a fresh data directory must give a first token');
  const app = await buildApp({
    eventStore: store,
    dataDir: data.path,
    logger: pino({ level: process.env.TALLY_TEST_LOG ?? 'silent' }),
    tokens,
    processMetrics: false,
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
    async stop() {
      await app.close();
      await store.close();
      await ledger.stop();
      await data.cleanup();
    },
  };
}

/** The JSON body of an injected or fetched response, typed loosely for assertions. */
export type Json = Record<string, unknown>;
