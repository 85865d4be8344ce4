/**
 * The event store's failures as Tally sees them: one error class with a stable `code` and the facts of
 * each case, whatever store or driver is behind the port.
 */
import type { ExpectedRevision } from './event-store.ts';

/** Each failure with the facts a caller needs to react to it. */
export type EventStoreFailure =
  /** The stream was not at the expected revision: reload it and decide again. */
  | {
      readonly code: 'TALLY_EVENTSTORE_WRONG_EXPECTED_REVISION';
      readonly stream: string;
      readonly expected: ExpectedRevision;
      /** The stream's actual last revision, or `'no_stream'` when it does not exist. */
      readonly actual: number | 'no_stream';
    }
  /** The stream was hard-deleted (tombstoned): it can never be written or read again. */
  | { readonly code: 'TALLY_EVENTSTORE_STREAM_DELETED'; readonly stream: string }
  /** The append's events together exceed the store's limit (1 MiB by default): split them. */
  | {
      readonly code: 'TALLY_EVENTSTORE_APPEND_TOO_LARGE';
      readonly stream: string;
      readonly maxAppendSize: number;
    }
  /** The store could not be reached or dropped the connection. */
  | { readonly code: 'TALLY_EVENTSTORE_UNAVAILABLE'; readonly endpoint: string }
  /** The store did not answer in time. */
  | { readonly code: 'TALLY_EVENTSTORE_TIMEOUT'; readonly endpoint: string }
  /** The store refused the credentials or the operation. */
  | { readonly code: 'TALLY_EVENTSTORE_ACCESS_DENIED'; readonly endpoint: string }
  /** An event given to `append` cannot be stored as is. */
  | { readonly code: 'TALLY_EVENTSTORE_INVALID_EVENT'; readonly stream: string; readonly index: number }
  /** A read or subscription option out of range (a negative limit, a fractional revision). */
  | { readonly code: 'TALLY_EVENTSTORE_INVALID_ARGUMENT'; readonly argument: string }
  /** A connection string that does not parse. */
  | { readonly code: 'TALLY_EVENTSTORE_INVALID_URL'; readonly url: string }
  /** The store reported a revision or position above 2^53 − 1, which a JS number cannot hold exactly. */
  | { readonly code: 'TALLY_EVENTSTORE_NUMBER_OUT_OF_RANGE'; readonly value: string }
  /** Anything else the store or driver reported; `message` says what. */
  | { readonly code: 'TALLY_EVENTSTORE_FAILED' };

/** Every stable code an `EventStoreError` can carry. */
export type EventStoreErrorCode = EventStoreFailure['code'];

/** The only error the event-store port throws. `failure` carries the code's facts. */
export class EventStoreError extends Error {
  readonly code: EventStoreErrorCode;

  constructor(
    readonly failure: EventStoreFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EventStoreError';
    this.code = failure.code;
  }
}

/** True when `error` is an `EventStoreError` with `code` (narrowing its failure to that case). */
export function isEventStoreError<C extends EventStoreErrorCode>(
  error: unknown,
  code?: C,
): error is EventStoreError & { failure: Extract<EventStoreFailure, { code: C }> } {
  return error instanceof EventStoreError && (code === undefined || error.code === code);
}
