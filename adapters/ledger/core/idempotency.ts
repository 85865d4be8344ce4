/**
 * Idempotent appends, as EventStoreDB does them: a client that retries an append it is unsure about
 * (the connection dropped before the answer) sends the same event ids again. If those ids are already
 * the stream's events where the first attempt put them, the retry is answered with the first
 * attempt's result and nothing is written twice.
 */
import type { LedgerStorage } from '../storage/storage.ts';
import type { ExpectedRevision } from './expected-revision.ts';
import type { AppendResult, ProposedEvent } from './ledger-core.ts';
import type { RecentIds } from './recent-ids.ts';

/**
 * The first attempt's result when `events` repeat an append already in the stream; `'partial'` when
 * their first event is there but not all the rest (EventStoreDB's corrupted idempotency, which it
 * refuses as a wrong expected version rather than write the repeated events again); otherwise
 * `undefined`: not a retry.
 */
export function findIdempotentRetry(
  storage: LedgerStorage,
  recentIds: RecentIds,
  streamId: string,
  expected: ExpectedRevision,
  events: readonly ProposedEvent[],
): AppendResult | 'partial' | undefined {
  const positions = storage.streamPositions(streamId);
  const firstEvent = events[0];
  if (!positions || positions.length === 0 || !firstEvent) return undefined;
  const start = candidateRevision(recentIds, streamId, expected, firstEvent.eventId);
  if (start === undefined || start >= positions.length) return undefined;
  if (storage.readAt(positions[start]!).eventId !== firstEvent.eventId) return undefined;
  if (start + events.length > positions.length) return 'partial';
  for (let index = 1; index < events.length; index++) {
    if (storage.readAt(positions[start + index]!).eventId !== events[index]!.eventId) return 'partial';
  }
  const lastRevision = start + events.length - 1;
  return { nextRevision: lastRevision, position: positions[lastRevision]! };
}

/** The revision where the first attempt of this append would have put its first event. */
function candidateRevision(
  recentIds: RecentIds,
  streamId: string,
  expected: ExpectedRevision,
  firstEventId: string,
): number | undefined {
  if (expected === 'no_stream') return 0;
  if (typeof expected === 'number') return expected + 1;
  const seen = recentIds.lookup(firstEventId);
  return seen?.streamId === streamId ? seen.revision : undefined;
}
