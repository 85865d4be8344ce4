/**
 * What the ledger refuses, as values the gRPC layer turns into EventStoreDB's error answers (trailer
 * metadata for unary and client-streaming calls, `google.rpc.Status` details for BatchAppend).
 */
import type { ExpectedRevision } from './expected-revision.ts';

/** The append's expected revision did not match the stream. `actual` is `'no_stream'` for a stream that does not exist. */
export interface WrongExpectedVersion {
  readonly kind: 'wrong-expected-version';
  readonly streamId: string;
  readonly expected: ExpectedRevision;
  readonly actual: number | 'no_stream';
}

/** The stream was tombstoned: it can never be read or written again. */
export interface StreamDeleted {
  readonly kind: 'stream-deleted';
  readonly streamId: string;
}

/** The events of one append add up to more than the maximum append size. */
export interface MaximumAppendSizeExceeded {
  readonly kind: 'maximum-append-size-exceeded';
  readonly maxAppendSize: number;
}

/** An event lacks a property EventStoreDB requires (`type`, `content-type`). */
export interface RequiredMetadataPropertyMissing {
  readonly kind: 'missing-required-metadata-property';
  readonly properties: readonly string[];
}

/** The request cannot be understood (no stream name, a malformed id, an unsupported option). */
export interface InvalidArgument {
  readonly kind: 'invalid-argument';
  readonly message: string;
}

export type LedgerRefusal =
  | WrongExpectedVersion
  | StreamDeleted
  | MaximumAppendSizeExceeded
  | RequiredMetadataPropertyMissing
  | InvalidArgument;

/** Thrown by the core when it refuses a request; carries the refusal for the protocol layer to encode. */
export class LedgerRefusalError extends Error {
  constructor(readonly refusal: LedgerRefusal) {
    super(describeRefusal(refusal));
    this.name = 'LedgerRefusalError';
  }
}

export function describeRefusal(refusal: LedgerRefusal): string {
  switch (refusal.kind) {
    case 'wrong-expected-version':
      return `wrong expected version for stream ${refusal.streamId}: expected ${String(refusal.expected)}, actual ${String(refusal.actual)}`;
    case 'stream-deleted':
      return `stream ${refusal.streamId} is deleted`;
    case 'maximum-append-size-exceeded':
      return `the append exceeds the maximum append size of ${refusal.maxAppendSize} bytes`;
    case 'missing-required-metadata-property':
      return `an event lacks required metadata: ${refusal.properties.join(', ')}`;
    case 'invalid-argument':
      return refusal.message;
    default:
      return unreachable(refusal);
  }
}

export function unreachable(value: never): never {
  throw new Error(`unreachable: ${JSON.stringify(value)}`);
}
