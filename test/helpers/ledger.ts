/**
 * Starts a real ledger on a free loopback port for one test file, with a connected client, and stops
 * both afterwards. Durable (a temporary data directory) unless `memory` is asked for.
 */
import { EventStoreDBClient } from '@eventstore/db-client';
import pino from 'pino';
import { type LedgerOptions, type RunningLedger, startLedger } from '../../adapters/ledger/index.ts';
import { tempDir } from './uvu.ts';

export interface TestLedger {
  readonly ledger: RunningLedger;
  readonly client: EventStoreDBClient;
  readonly directory: string | undefined;
  /** Disposes of the client, stops the ledger, and removes its data directory. */
  stop(): Promise<void>;
}

export async function startTestLedger(
  options: Omit<LedgerOptions, 'port'> & { memory?: boolean } = {},
): Promise<TestLedger> {
  const dir = options.memory || options.directory ? undefined : await tempDir('tally-ledger-');
  const directory = options.directory ?? dir?.path;
  const logger = pino({ level: process.env.TALLY_TEST_LOG ?? 'silent' });
  const ledger = await startLedger({ logger, ...options, ...(directory ? { directory } : {}), port: 0 });
  const client = EventStoreDBClient.connectionString(ledger.url);
  return {
    ledger,
    client,
    directory,
    async stop() {
      await client.dispose();
      await ledger.close();
      await dir?.cleanup();
    },
  };
}
