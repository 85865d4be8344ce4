/**
 * The event ids of recent appends, so that an `any`-expectation retry is recognised without reading
 * the log: a retry is found by its first id (which may be any event of the first attempt, when a client
 * retries only the events it is unsure of), and the rest of the batch is then compared with the log. Bounded like EventStoreDB's own cache: idempotency for `any` holds for recent appends;
 * appends with an exact expected revision are idempotent however old.
 */
import type { LogRecord } from '../storage/storage.ts';
import { createBoundedCache } from './bounded-cache.ts';

export interface RecentIds {
  /** Remembers where an appended event went. */
  remember(record: LogRecord): void;
  /** The stream and revision an event id was written at, if it is recent. */
  lookup(eventId: string): { streamId: string; revision: number } | undefined;
}

export function createRecentIds(capacity = 100_000): RecentIds {
  const ids = createBoundedCache<string, { streamId: string; revision: number }>(capacity);
  return {
    remember(record) {
      ids.set(record.eventId, { streamId: record.streamId, revision: record.revision });
    },
    lookup: (eventId) => ids.get(eventId),
  };
}
