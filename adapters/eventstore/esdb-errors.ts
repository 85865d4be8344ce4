/**
 * Translates `@eventstore/db-client` errors into `EventStoreError`s at the adapter's boundary, so no
 * client error type (nor its bigint revisions) reaches the rest of Tally.
 */
import { convertToCommandError, ErrorType, isCommandError } from '@eventstore/db-client';
import { EventStoreError } from './errors.ts';
import { toSafeNumber } from './esdb-numbers.ts';
import type { ExpectedRevision } from './event-store.ts';

/** What the adapter was doing, to put into messages. */
export interface ErrorContext {
  /** The store's address as the user gave it (for messages that tell them what to check). */
  readonly endpoint: string;
  /** The stream involved, if any. */
  readonly stream?: string;
}

function unavailableMessage(endpoint: string): string {
  return (
    `cannot reach the event store at ${endpoint}: check that it is running (\`tally ledger serve\` starts the ` +
    'local ledger), that the host and port are right, and that the URL says tls=false for a server without TLS'
  );
}

function expectedFromClient(expected: unknown): ExpectedRevision {
  if (typeof expected === 'bigint') return toSafeNumber(expected);
  if (expected === 'no_stream' || expected === 'stream_exists') return expected;
  return 'any';
}

/** Turns whatever the client threw into an `EventStoreError` (returns an `EventStoreError` unchanged). */
export function translateError(thrown: unknown, context: ErrorContext): EventStoreError {
  if (thrown instanceof EventStoreError) return thrown;
  // Some paths of the client (opening a streaming read) hand on raw gRPC errors.
  const error = thrown instanceof Error ? convertToCommandError(thrown) : thrown;
  const stream = context.stream ?? '$all';
  const { endpoint } = context;
  if (!(error instanceof Error) || !isCommandError(error)) {
    const text = error instanceof Error ? error.message : String(error);
    return new EventStoreError({ code: 'TALLY_EVENTSTORE_FAILED' }, `event store failure: ${text}`, {
      cause: error,
    });
  }
  switch (error.type) {
    case ErrorType.WRONG_EXPECTED_VERSION: {
      const actual = error.actualVersion === 'no_stream' ? 'no_stream' : toSafeNumber(error.actualVersion);
      const expected = expectedFromClient(error.expectedVersion);
      return new EventStoreError(
        { code: 'TALLY_EVENTSTORE_WRONG_EXPECTED_REVISION', stream, expected, actual },
        `stream ${stream} is at revision ${actual}, not at the expected ${expected}`,
        { cause: error },
      );
    }
    case ErrorType.STREAM_DELETED:
      return new EventStoreError(
        { code: 'TALLY_EVENTSTORE_STREAM_DELETED', stream },
        `stream ${stream} has been deleted for good`,
        { cause: error },
      );
    case ErrorType.MAXIMUM_APPEND_SIZE_EXCEEDED:
      return new EventStoreError(
        { code: 'TALLY_EVENTSTORE_APPEND_TOO_LARGE', stream, maxAppendSize: error.maxAppendSize },
        `the append to ${stream} is larger than the store accepts (${error.maxAppendSize} bytes): split it`,
        { cause: error },
      );
    case ErrorType.UNAVAILABLE:
    case ErrorType.NOT_LEADER:
    // Our own cancellations never get here; a cancellation from the server means it stopped serving.
    case ErrorType.CANCELLED:
      return new EventStoreError(
        { code: 'TALLY_EVENTSTORE_UNAVAILABLE', endpoint },
        unavailableMessage(endpoint),
        {
          cause: error,
        },
      );
    case ErrorType.TIMEOUT:
    case ErrorType.DEADLINE_EXCEEDED:
      return new EventStoreError(
        { code: 'TALLY_EVENTSTORE_TIMEOUT', endpoint },
        `the event store at ${endpoint} did not answer in time: check its load and logs`,
        { cause: error },
      );
    case ErrorType.ACCESS_DENIED:
      return new EventStoreError(
        { code: 'TALLY_EVENTSTORE_ACCESS_DENIED', endpoint },
        `the event store at ${endpoint} refused access: check the username and password in the URL`,
        { cause: error },
      );
    default:
      return new EventStoreError(
        { code: 'TALLY_EVENTSTORE_FAILED' },
        `event store failure (${error.type}): ${error.message}`,
        { cause: error },
      );
  }
}
