/**
 * The ids of the most recently written events, so that an `any`-expectation retry is recognised
 * without reading the log. Bounded like EventStoreDB's own cache: idempotency for `any` holds for
 * recent appends; appends with an exact expected revision are idempotent however old.
 */
import type { LogRecord } from '../storage/storage.ts';

export interface RecentIds {
  remember(records: readonly LogRecord[]): void;
  /** The stream and revision an event id was written at, if it is recent. */
  lookup(eventId: string): { streamId: string; revision: number } | undefined;
}

export function createRecentIds(capacity = 100_000): RecentIds {
  const ids = new Map<string, { streamId: string; revision: number }>();
  return {
    remember(records) {
      for (const record of records) {
        ids.delete(record.eventId);
        ids.set(record.eventId, { streamId: record.streamId, revision: record.revision });
      }
      // A Map iterates in insertion order, so the first keys are the oldest.
      for (const oldest of ids.keys()) {
        if (ids.size <= capacity) break;
        ids.delete(oldest);
      }
    },
    lookup: (eventId) => ids.get(eventId),
  };
}
