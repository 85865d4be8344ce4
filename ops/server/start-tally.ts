/**
 * The composition root of the Tally server: it wires the adapters into one running process. Today
 * that is the event store (the embedded ledger, unless an external EventStoreDB/KurrentDB is named);
 * the projections, the HTTP API and the local workers join it here as they land.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { type RunningLedger, startLedger } from '../../adapters/ledger/index.ts';
import { removeLedgerEndpoint, writeLedgerEndpoint } from '../cli/options.ts';

export interface TallyServerOptions {
  /** The data directory: the ledger's log and everything else Tally keeps. */
  readonly dataDir: string;
  /** An external event store's connection string; absent: start the embedded ledger. */
  readonly eventstore?: string;
  /** The embedded ledger's port (EventStoreDB's 2113 by default; 0 for a free one). */
  readonly ledgerPort: number;
  readonly logger: Logger;
  readonly version: string;
}

export interface TallyServer {
  /** The event store every part of this server talks to. */
  readonly eventstoreUrl: string;
  stop(): Promise<void>;
}

export async function startTally(options: TallyServerOptions): Promise<TallyServer> {
  const { dataDir, logger } = options;
  await mkdir(dataDir, { recursive: true });
  let ledger: RunningLedger | undefined;
  if (!options.eventstore) {
    const directory = join(dataDir, 'ledger');
    await mkdir(directory, { recursive: true });
    ledger = await startLedger({ directory, port: options.ledgerPort, logger, version: options.version });
    await writeLedgerEndpoint(dataDir, { url: ledger.url, pid: process.pid });
  }
  const eventstoreUrl = ledger?.url ?? options.eventstore!;
  logger.info({ eventstore: eventstoreUrl, dataDir, embedded: ledger !== undefined }, 'tally server started');
  return {
    eventstoreUrl,
    async stop() {
      if (ledger) {
        await removeLedgerEndpoint(dataDir);
        await ledger.close();
      }
      logger.info('tally server stopped');
    },
  };
}
