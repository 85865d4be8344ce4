/**
 * `Streams.Read`: reads of a stream or of `$all` with a count, and catch-up subscriptions (handed to
 * `subscription.ts`). A missing stream is answered in-band; a tombstoned one with a `stream-deleted` error.
 */
import type { ServerWritableStream } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { LedgerRefusalError } from '../core/errors.ts';
import type { LedgerCore } from '../core/ledger-core.ts';
import type { LogRecord } from '../storage/storage.ts';
import { streamIdentifier } from './convert.ts';
import { toServiceError } from './errors.ts';
import { fastEventResponse } from './event-encoding.ts';
import { type ReadReq, type ReadResp, streamsPb } from './proto.ts';
import { parseReadRequest, type ReadRequest } from './read-options.ts';
import { runSubscription } from './subscription.ts';
import { send } from './write-with-backpressure.ts';

const pageSize = 512;

export function createReadHandler(core: LedgerCore, logger: Logger) {
  return (call: ServerWritableStream<ReadReq, ReadResp>) => {
    serveRead(core, call, logger).then(
      () => {
        if (!call.cancelled && !call.destroyed) call.end();
      },
      (error: unknown) => {
        if (!(error instanceof LedgerRefusalError)) logger.error({ err: error }, 'read failed');
        if (!call.cancelled && !call.destroyed) call.emit('error', toServiceError(error));
      },
    );
  };
}

async function serveRead(core: LedgerCore, call: ServerWritableStream<ReadReq, ReadResp>, logger: Logger) {
  const request = parseReadRequest(call.request);
  if (request.count === 'subscribe') return runSubscription(core, call, request, logger);
  if (request.source.kind === 'stream')
    return readStream(core, call, request, request.source.streamId, request.source.from);
  return readAll(core, call, request, request.source.from);
}

async function readStream(
  core: LedgerCore,
  call: ServerWritableStream<ReadReq, ReadResp>,
  request: ReadRequest,
  streamId: string,
  from: number | 'start' | 'end',
) {
  let remaining = request.count as number;
  let next = from;
  while (remaining > 0) {
    const page = core.readStream(streamId, next, request.direction, Math.min(pageSize, remaining));
    if (!page.found) {
      if (next === from) {
        const notFound = new streamsPb.ReadResp.StreamNotFound().setStreamIdentifier(
          streamIdentifier(streamId),
        );
        await send(call, new streamsPb.ReadResp().setStreamNotFound(notFound));
      }
      return;
    }
    if (page.records.length === 0) return;
    if (!(await sendAll(call, request, page.records))) return;
    remaining -= page.records.length;
    const last = page.records[page.records.length - 1]!.revision;
    next = request.direction === 'forwards' ? last + 1 : last - 1;
    if (next < 0) return;
  }
}

async function readAll(
  core: LedgerCore,
  call: ServerWritableStream<ReadReq, ReadResp>,
  request: ReadRequest,
  from: number | 'start' | 'end',
) {
  let remaining = request.count as number;
  let next = from;
  while (remaining > 0) {
    const page = core.readAll(next, request.direction, pageSize);
    if (page.length === 0) return;
    const wanted = request.filter ? page.filter(request.filter) : page;
    const delivered = wanted.slice(0, remaining);
    if (!(await sendAll(call, request, delivered))) return;
    remaining -= delivered.length;
    const last = page[page.length - 1]!.position;
    next = request.direction === 'forwards' ? last + 1 : last;
  }
}

async function sendAll(
  call: ServerWritableStream<ReadReq, ReadResp>,
  request: ReadRequest,
  records: readonly LogRecord[],
) {
  for (const record of records) {
    if (!(await send(call, fastEventResponse(record, request.uuidFormat)))) return false;
  }
  return true;
}
