/**
 * Reading the embedded ledger's files in this process, without a server or a client: for work that
 * owns the data directory for its whole run (`tally replay` while Tally is stopped) and reads every
 * event. Through gRPC each event is encoded by the ledger and decoded by the client, which caps a
 * full read near 25,000 events per second; here it is the storage's own read plus a JSON parse.
 *
 * It takes the directory's lock like a ledger does, so it cannot run beside a server on the same data.
 */
import type { Logger } from 'pino';
import { fromStoredBytes, isSystemEvent } from '../eventstore/esdb-events.ts';
import type { RecordedEvent } from '../eventstore/event-store.ts';
import { createLedgerCore } from './core/ledger-core.ts';
import type { LogRecord } from './storage/storage.ts';

const pageSize = 4096;

export interface DirectLedgerReader {
  /** `$all` without the store's own events, forwards from `fromPosition` (inclusive) or the start. */
  readAll(options?: { readonly fromPosition?: number }): AsyncIterable<RecordedEvent>;
  /** The position of the last event, or −1 when there is none. */
  headPosition(): number;
  close(): Promise<void>;
}

function recorded(record: LogRecord): RecordedEvent {
  return fromStoredBytes({
    streamId: record.streamId,
    revision: record.revision,
    position: record.position,
    id: record.eventId,
    type: record.type,
    contentType: record.contentType,
    data: record.data,
    metadata: record.metadata,
    created: new Date(Math.floor(record.created / 1000)),
  });
}

export async function openDirectLedgerReader(options: {
  readonly directory: string;
  readonly logger?: Logger;
}): Promise<DirectLedgerReader> {
  const { openFileStorage } = await import('./storage/file/index.ts');
  const storage = await openFileStorage({
    directory: options.directory,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const core = createLedgerCore(storage);
  return {
    async *readAll(readOptions = {}) {
      let from: number | 'start' = readOptions.fromPosition ?? 'start';
      for (;;) {
        const page = core.readAll(from, 'forwards', pageSize);
        for (const record of page) {
          if (!isSystemEvent({ streamId: record.streamId, type: record.type })) yield recorded(record);
        }
        if (page.length < pageSize) return;
        from = page[page.length - 1]!.position + 1;
      }
    },
    headPosition() {
      const last = core.readAll('end', 'backwards', 1)[0];
      return last ? last.position : -1;
    },
    close: () => storage.close(),
  };
}
