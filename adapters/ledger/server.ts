/**
 * Starts the embedded ledger: storage (file or memory), the core rules, and a gRPC server on
 * loopback that serves EventStoreDB's Streams and ServerFeatures services.
 */
import { Server, ServerCredentials, setLogger } from '@grpc/grpc-js';
import pino, { type Logger } from 'pino';
import { createLedgerCore } from './core/ledger-core.ts';
import { createAppendHandler } from './grpc/append.ts';
import { createBatchAppendHandler } from './grpc/batch-append.ts';
import { createDeleteHandler, createTombstoneHandler } from './grpc/delete.ts';
import { featuresGrpc, streamsGrpc } from './grpc/proto.ts';
import { createReadHandler } from './grpc/read.ts';
import { createServerFeaturesHandler } from './grpc/server-features.ts';
import { createMemoryStorage } from './storage/memory.ts';
import type { LedgerStorage } from './storage/storage.ts';

export interface LedgerOptions {
  /** Where the log lives; required unless `memory` is set. */
  readonly directory?: string;
  /** Keep everything in memory (nothing survives a restart): for fast tests. */
  readonly memory?: boolean;
  /** Interface to listen on; loopback by default, since the ledger has no authentication of its own. */
  readonly host?: string;
  /** TCP port; 0 picks a free one. */
  readonly port?: number;
  readonly logger?: Logger;
  /** The largest append accepted, in bytes (EventStoreDB's default, 1 MiB, when absent). */
  readonly maxAppendSize?: number;
  /** The version the ledger reports to clients. */
  readonly version?: string;
}

export interface RunningLedger {
  /** A connection string for `@eventstore/db-client`: `esdb://HOST:PORT?tls=false`. */
  readonly url: string;
  readonly port: number;
  /** Stops serving, lets pending appends reach the disk, and releases the data directory. */
  close(): Promise<void>;
}

export async function startLedger(options: LedgerOptions): Promise<RunningLedger> {
  const logger = (options.logger ?? pino({ level: 'silent' })).child({ component: 'ledger' });
  const storage = await openStorage(options, logger);
  let core: ReturnType<typeof createLedgerCore>;
  try {
    core = createLedgerCore(storage, options.maxAppendSize ? { maxAppendSize: options.maxAppendSize } : {});
  } catch (error) {
    // The core reads the log's tail at start, where damage can surface: release the directory first.
    await storage.close().catch(() => undefined);
    throw error;
  }
  const server = new Server({ 'grpc.max_receive_message_length': 16 * 1024 * 1024 });
  server.addService(streamsGrpc.StreamsService, {
    read: createReadHandler(core, logger),
    append: createAppendHandler(core, logger),
    batchAppend: createBatchAppendHandler(core, logger),
    delete: createDeleteHandler(core, logger),
    tombstone: createTombstoneHandler(core, logger),
  });
  server.addService(featuresGrpc.ServerFeaturesService, {
    getSupportedMethods: createServerFeaturesHandler(`tally-ledger ${options.version ?? 'dev'}`),
  });
  const host = options.host ?? '127.0.0.1';
  // grpc-js prints its own errors on stderr ("No address added…"): the ledger's log takes them, and
  // the error below says what they mean.
  setLogger({ error: (...parts: unknown[]) => logger.debug({ grpc: parts.join(' ') }, 'grpc-js said') });
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`${host}:${options.port ?? 0}`, ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
  } catch (error) {
    await storage.close();
    const inUse = /EADDRINUSE/.test((error as Error).message);
    throw Object.assign(
      new Error(
        inUse
          ? `the ledger cannot listen on ${host}:${options.port ?? 0}: the port is in use; stop what listens there, or choose another --ledger-port (0 picks a free one)`
          : `the ledger cannot listen on ${host}:${options.port ?? 0}: ${(error as Error).message}`,
      ),
      {
        code: 'TALLY_LEDGER_LISTEN',
      },
    );
  }
  const url = `esdb://${host}:${port}?tls=false`;
  const stats = storage.stats();
  logger.info(
    { url, events: stats.events, streams: stats.streams, memory: options.memory === true },
    'ledger serving',
  );
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    close: () => {
      closing ??= (async () => {
        server.forceShutdown();
        await storage.close();
        logger.info('ledger stopped');
      })();
      return closing;
    },
  };
}

async function openStorage(options: LedgerOptions, logger: Logger): Promise<LedgerStorage> {
  if (options.memory) return createMemoryStorage();
  if (!options.directory) {
    throw Object.assign(new Error('the ledger needs a data directory (or memory mode)'), {
      code: 'TALLY_LEDGER_NO_DIRECTORY',
    });
  }
  // Loaded on demand: memory mode (tests) never touches the file backend.
  const { openFileStorage } = await import('./storage/file/index.ts');
  return openFileStorage({ directory: options.directory, logger });
}
