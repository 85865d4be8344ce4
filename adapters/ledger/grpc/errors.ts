/**
 * Encodes the ledger's refusals the way EventStoreDB does, so the client raises its own typed errors:
 * an `exception` trailer plus its details for unary and streaming calls, and a `google.rpc.Status`
 * with packed details for BatchAppend answers.
 */
import { Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { describeRefusal, type LedgerRefusal, LedgerRefusalError, unreachable } from '../core/errors.ts';
import { LedgerStorageError, type LedgerStorageErrorCode } from '../storage/storage.ts';
import { expectedVersionCode, streamIdentifier } from './convert.ts';
import { anyPb, emptyPb, sharedPb, statusPb } from './proto.ts';

type RpcCode = import('@eventstore/db-client/generated/code_pb.js').Code;

/** gRPC status codes and `google.rpc.Code` share their numbers by definition. */
const rpcCode = (code: status) => code as number as RpcCode;

function serviceError(code: status, details: string, metadata = new Metadata()): ServiceError {
  return Object.assign(new Error(details), { code, details, metadata });
}

function trailersOf(refusal: LedgerRefusal): { code: status; metadata: Metadata } {
  const metadata = new Metadata();
  switch (refusal.kind) {
    case 'wrong-expected-version':
      metadata.set('exception', 'wrong-expected-version');
      metadata.set('stream-name', refusal.streamId);
      metadata.set('expected-version', expectedVersionCode(refusal.expected));
      if (refusal.actual !== 'no_stream') metadata.set('actual-version', String(refusal.actual));
      return { code: status.FAILED_PRECONDITION, metadata };
    case 'stream-deleted':
      metadata.set('exception', 'stream-deleted');
      metadata.set('stream-name', refusal.streamId);
      return { code: status.FAILED_PRECONDITION, metadata };
    case 'maximum-append-size-exceeded':
      metadata.set('exception', 'maximum-append-size-exceeded');
      metadata.set('maximum-append-size', String(refusal.maxAppendSize));
      return { code: status.INVALID_ARGUMENT, metadata };
    case 'missing-required-metadata-property':
      metadata.set('exception', 'missing-required-metadata-property');
      metadata.set('required-metadata-properties', refusal.properties.join(','));
      return { code: status.INVALID_ARGUMENT, metadata };
    case 'invalid-argument':
      return { code: status.INVALID_ARGUMENT, metadata };
    default:
      return unreachable(refusal);
  }
}

/**
 * A read of a stream that does not exist, answered as EventStoreDB 20.6 did: status NOT_FOUND with
 * `exception: stream-not-found` and `stream-name` trailers, which the client turns into its
 * `StreamNotFoundError`. `read.ts` says why this form and not the in-band `stream_not_found` message.
 */
export class StreamNotFound extends Error {
  constructor(readonly streamId: string) {
    super(`Event stream '${streamId}' is not found.`);
  }

  /** Whether the name can travel in a trailer at all: gRPC metadata values are printable ASCII. */
  static fitsInTrailers(streamId: string): boolean {
    return /^[ -~]*$/.test(streamId);
  }
}

/** Any error thrown while serving a call, as the gRPC error the client should see. */
export function toServiceError(error: unknown): ServiceError {
  if (error instanceof StreamNotFound) {
    const metadata = new Metadata();
    metadata.set('exception', 'stream-not-found');
    metadata.set('stream-name', error.streamId);
    return serviceError(status.NOT_FOUND, error.message, metadata);
  }
  if (error instanceof LedgerRefusalError) {
    const { code, metadata } = trailersOf(error.refusal);
    return serviceError(code, describeRefusal(error.refusal), metadata);
  }
  if (error instanceof LedgerStorageError) {
    return serviceError(storageStatus(error.code), `${error.code}: ${error.message}`);
  }
  return serviceError(status.INTERNAL, 'the ledger failed to serve this call; see its log');
}

function storageStatus(code: LedgerStorageErrorCode): status {
  switch (code) {
    case 'TALLY_LEDGER_DISK_FULL':
      return status.RESOURCE_EXHAUSTED;
    case 'TALLY_LEDGER_IO':
      return status.INTERNAL;
    case 'TALLY_LEDGER_CORRUPT':
      return status.DATA_LOSS;
    case 'TALLY_LEDGER_CLOSED':
      return status.UNAVAILABLE;
    case 'TALLY_LEDGER_FORMAT':
      return status.FAILED_PRECONDITION;
    default:
      return unreachable(code);
  }
}

function packed(message: { serializeBinary(): Uint8Array }, typeName: string) {
  const any = new anyPb.Any();
  any.pack(message.serializeBinary(), `event_store.client.${typeName}`);
  return any;
}

/** A refusal as BatchAppend's in-band `google.rpc.Status`. */
export function batchAppendStatus(error: unknown) {
  const result = new statusPb.Status();
  if (!(error instanceof LedgerRefusalError)) {
    const service = toServiceError(error);
    // Not `event_store.client.Unknown`: the official client answers that with a message-less
    // UnknownError, and the reason (TALLY_LEDGER_DISK_FULL, say) would never reach the caller.
    // Details of a type it does not special-case come back as "Could not recognize <message>".
    const details = new anyPb.Any();
    details.pack(new emptyPb.Empty().serializeBinary(), 'google.protobuf.Empty');
    return result.setCode(rpcCode(service.code)).setMessage(service.details).setDetails(details);
  }
  const refusal = error.refusal;
  result.setMessage(describeRefusal(refusal));
  switch (refusal.kind) {
    case 'wrong-expected-version': {
      const details = new sharedPb.WrongExpectedVersion();
      if (refusal.actual === 'no_stream') details.setCurrentNoStream(new emptyPb.Empty());
      else details.setCurrentStreamRevision(String(refusal.actual));
      if (refusal.expected === 'any') details.setExpectedAny(new emptyPb.Empty());
      else if (refusal.expected === 'no_stream') details.setExpectedNoStream(new emptyPb.Empty());
      else if (refusal.expected === 'stream_exists') details.setExpectedStreamExists(new emptyPb.Empty());
      else details.setExpectedStreamPosition(String(refusal.expected));
      return result
        .setCode(rpcCode(status.FAILED_PRECONDITION))
        .setDetails(packed(details, 'WrongExpectedVersion'));
    }
    case 'stream-deleted': {
      const details = new sharedPb.StreamDeleted().setStreamIdentifier(streamIdentifier(refusal.streamId));
      return result.setCode(rpcCode(status.FAILED_PRECONDITION)).setDetails(packed(details, 'StreamDeleted'));
    }
    case 'maximum-append-size-exceeded': {
      const details = new sharedPb.MaximumAppendSizeExceeded().setMaxappendsize(refusal.maxAppendSize);
      return result
        .setCode(rpcCode(status.INVALID_ARGUMENT))
        .setDetails(packed(details, 'MaximumAppendSizeExceeded'));
    }
    case 'missing-required-metadata-property':
    case 'invalid-argument': {
      const details = new sharedPb.BadRequest().setMessage(describeRefusal(refusal));
      return result.setCode(rpcCode(status.INVALID_ARGUMENT)).setDetails(packed(details, 'BadRequest'));
    }
    default:
      return unreachable(refusal);
  }
}
