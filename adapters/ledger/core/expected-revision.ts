/**
 * Optimistic concurrency as EventStoreDB defines it: an append states what it expects of the stream,
 * and the ledger refuses it when the stream is elsewhere.
 */

/** What an append expects: any state, no stream yet, some stream, or the stream at exactly this revision. */
export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | number;

/** A stream's current revision for concurrency checks: its last event's revision, or absent. */
export type CurrentRevision = number | 'no_stream';

/** Whether an append expecting `expected` may go ahead on a stream that is at `current`. */
export function expectationHolds(expected: ExpectedRevision, current: CurrentRevision): boolean {
  if (expected === 'any') return true;
  if (expected === 'no_stream') return current === 'no_stream';
  if (expected === 'stream_exists') return current !== 'no_stream';
  return current === expected;
}
