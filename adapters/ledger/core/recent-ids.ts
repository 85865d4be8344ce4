/**
 * The ids of the most recently written events, so that an `any`-expectation retry is recognised
 * without reading the log. Bounded like EventStoreDB's own cache: idempotency for `any` holds for
 * recent appends; appends with an exact expected revision are idempotent however old.
 */
import type { LogRecord } from '../storage/storage.ts';
import { createBoundedCache } from './bounded-cache.ts';

export interface RecentIds {
  remember(records: readonly LogRecord[]): void;
  /** The stream and revision an event id was written at, if it is recent. */
  lookup(eventId: string): { streamId: string; revision: number } | undefined;
}

export function createRecentIds(capacity = 100_000): RecentIds {
  const ids = createBoundedCache<string, { streamId: string; revision: number }>(capacity);
  return {
    remember(records) {
      for (const record of records)
        ids.set(record.eventId, { streamId: record.streamId, revision: record.revision });
    },
    lookup: (eventId) => ids.get(eventId),
  };
}
