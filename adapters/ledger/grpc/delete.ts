/**
 * `Streams.Delete` (soft delete) and `Streams.Tombstone` (hard delete): unary calls that answer the
 * log position of what they wrote, or EventStoreDB's error trailers.
 */
import type { ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { LedgerRefusalError } from '../core/errors.ts';
import type { LedgerCore } from '../core/ledger-core.ts';
import { expectedRevisionOf, streamNameOf } from './convert.ts';
import { toServiceError } from './errors.ts';
import {
  type DeleteReq,
  type DeleteResp,
  streamsPb,
  type TombstoneReq,
  type TombstoneResp,
} from './proto.ts';

function streamOf(
  options: { getStreamIdentifier(): Parameters<typeof streamNameOf>[0] } | undefined,
): string {
  const streamId = streamNameOf(options?.getStreamIdentifier());
  if (!streamId)
    throw new LedgerRefusalError({ kind: 'invalid-argument', message: 'a delete must name its stream' });
  return streamId;
}

function report(logger: Logger, error: unknown) {
  if (!(error instanceof LedgerRefusalError)) logger.error({ err: error }, 'delete failed');
  return toServiceError(error);
}

export function createDeleteHandler(core: LedgerCore, logger: Logger) {
  return (call: ServerUnaryCall<DeleteReq, DeleteResp>, callback: sendUnaryData<DeleteResp>) => {
    const options = call.request.getOptions();
    Promise.resolve()
      .then(() => core.softDelete(streamOf(options), expectedRevisionOf(options!)))
      .then(
        ({ position }) => {
          const at = new streamsPb.DeleteResp.Position()
            .setCommitPosition(String(position))
            .setPreparePosition(String(position));
          callback(null, new streamsPb.DeleteResp().setPosition(at));
        },
        (error: unknown) => callback(report(logger, error)),
      );
  };
}

export function createTombstoneHandler(core: LedgerCore, logger: Logger) {
  return (call: ServerUnaryCall<TombstoneReq, TombstoneResp>, callback: sendUnaryData<TombstoneResp>) => {
    const options = call.request.getOptions();
    Promise.resolve()
      .then(() => core.tombstone(streamOf(options), expectedRevisionOf(options!)))
      .then(
        ({ position }) => {
          const at = new streamsPb.TombstoneResp.Position()
            .setCommitPosition(String(position))
            .setPreparePosition(String(position));
          callback(null, new streamsPb.TombstoneResp().setPosition(at));
        },
        (error: unknown) => callback(report(logger, error)),
      );
  };
}
