/**
 * EventStoreDB's bigint revisions and positions, as the exact JS numbers the port promises.
 */
import type { Position } from '@eventstore/db-client';
import { EventStoreError } from './errors.ts';

/** `value` as a number, or `TALLY_EVENTSTORE_NUMBER_OUT_OF_RANGE` when a number cannot hold it exactly. */
export function toSafeNumber(value: bigint): number {
  if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new EventStoreError(
      { code: 'TALLY_EVENTSTORE_NUMBER_OUT_OF_RANGE', value: value.toString() },
      `the event store reported ${value}, outside the range Tally handles exactly (0 to 2^53 − 1)`,
    );
  }
  return Number(value);
}

/**
 * A Tally position as EventStoreDB's `{ commit, prepare }` pair. Tally keeps the commit position only:
 * for events appended without explicit transactions (the only kind the gRPC API writes) the two are equal.
 */
export function toEsdbPosition(position: number): Position {
  const value = BigInt(position);
  return { commit: value, prepare: value };
}
