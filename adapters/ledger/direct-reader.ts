/**
 * Reading the embedded ledger's files in this process, without a server or a client: for work that
 * owns the data directory for its whole run (`tally replay` while Tally is stopped) and reads every
 * event. Through gRPC each event is encoded by the ledger and decoded by the client, which caps a
 * full read near 25,000 events per second; here the log is read in large checked runs and each event
 * decodes only the fields its reader asks for (see stored-event.ts).
 *
 * It takes the directory's lock like a ledger does, so it cannot run beside a server on the same data.
 * Threads of the process that holds the lock read the same files through its layout
 * (`readLaidOutLog`), without building an index of their own.
 */
import type { Logger } from 'pino';
import type { RecordedEvent } from '../eventstore/event-store.ts';
import type { LogLayout, RecordRun } from './storage/file/index.ts';
import { isSystemRecord, StoredEvent } from './stored-event.ts';

export interface DirectLedgerReader {
  /** `$all` without the store's own events, forwards from `fromPosition` (inclusive) or the start. */
  readAll(options?: { readonly fromPosition?: number }): AsyncIterable<RecordedEvent>;
  /** The position of the last event, or −1 when there is none. */
  headPosition(): number;
  close(): Promise<void>;
}

/** A reader that opened the log itself, with its lock. */
export interface LockedLedgerReader extends DirectLedgerReader {
  /** Where every record lies, for readers in this process's other threads (`readLaidOutLog`). */
  layout(): LogLayout;
}

function* eventsOf(runs: Iterable<RecordRun>): Generator<StoredEvent> {
  for (const { buffer, position, offsets } of runs) {
    for (const offset of offsets) {
      if (!isSystemRecord(buffer, offset)) yield new StoredEvent(buffer, offset, position + offset);
    }
  }
}

/**
 * Synchronous iterators served as an asynchronous iterable, a fresh one per loop: an async generator
 * would add several promise turns per event, a large share of a read that does little else.
 */
function asAsync<T>(start: () => Iterator<T>): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]: () => {
      const events = start();
      return {
        next() {
          try {
            return Promise.resolve(events.next());
          } catch (error) {
            return Promise.reject(error);
          }
        },
        return(value?: unknown) {
          events.return?.();
          return Promise.resolve({ done: true, value: value as T });
        },
      };
    },
  };
}

export async function openDirectLedgerReader(options: {
  readonly directory: string;
  readonly logger?: Logger;
  /** This process already holds the directory's lock (a parallel replay, for the run). */
  readonly lockHeldByCaller?: boolean;
}): Promise<LockedLedgerReader> {
  const { openFileStorage } = await import('./storage/file/index.ts');
  const storage = await openFileStorage({
    directory: options.directory,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.lockHeldByCaller ? { lockHeldByCaller: true } : {}),
  });
  return {
    readAll(readOptions = {}) {
      return asAsync(() => eventsOf(storage.scanForward(readOptions.fromPosition ?? 0)));
    },
    headPosition() {
      const last = storage.readBackward(storage.headPosition(), 1)[0];
      return last ? last.position : -1;
    },
    layout: () => storage.layout(),
    close: () => storage.close(),
  };
}

/**
 * The log another thread of this process laid out (`LockedLedgerReader.layout`), read without a lock,
 * an index or any write: valid while the process holds the directory's lock, which keeps appends away.
 */
export async function readLaidOutLog(layout: LogLayout): Promise<DirectLedgerReader> {
  const { openLogScanner, scanChunkSize } = await import('./storage/file/index.ts');
  const scanner = openLogScanner(layout);
  const count = layout.positions.length;
  return {
    readAll(readOptions = {}) {
      return asAsync(() => eventsOf(scanner.scanForward(readOptions.fromPosition ?? 0, scanChunkSize)));
    },
    headPosition: () => (count === 0 ? -1 : layout.positions[count - 1]!),
    close: async () => scanner.close(),
  };
}
