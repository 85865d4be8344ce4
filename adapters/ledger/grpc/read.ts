/**
 * `Streams.Read`: reads of a stream or of `$all` with a count, and catch-up subscriptions (handed to
 * `subscription.ts`). A missing stream is answered with a `stream-not-found` status (see
 * `answerStreamNotFound`); a tombstoned one with a `stream-deleted` error.
 */
import type { ServerWritableStream } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { LedgerRefusalError } from '../core/errors.ts';
import type { LedgerCore } from '../core/ledger-core.ts';
import type { LogRecord } from '../storage/storage.ts';
import { streamIdentifier } from './convert.ts';
import { StreamNotFound, toServiceError } from './errors.ts';
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
        if (!(error instanceof LedgerRefusalError || error instanceof StreamNotFound))
          logger.error({ err: error }, 'read failed');
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
      if (next === from) await answerStreamNotFound(call, streamId);
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

/**
 * Why not the in-band `stream_not_found` message that EventStoreDB 20.10+ sends: on that message the
 * official client destroys the call and the caller then cancels it, while grpc-js can only send the
 * trailers after the message's write has completed, so they leave in a second socket write that the
 * client has not read yet; it answers with an RST_STREAM(CANCEL) for nearly every missing stream.
 * Node's HTTP/2 server (nghttp2 >= 1.57, the CVE-2023-44487 "rapid reset" guard) counts every
 * RST_STREAM it receives against a bucket of 1,000 refilled at 33 per second, which Node 20 does not
 * let us configure, and past it sends GOAWAY(INTERNAL_ERROR): the client's whole session fails
 * ("Session closed with error code 2") with every call on it. A trailers-only answer (status and
 * trailers in one HEADERS frame that ends the stream) leaves the client nothing to cancel; the client
 * turns it into the same `StreamNotFoundError`. A name that cannot travel in a trailer (not printable
 * ASCII) keeps the in-band answer.
 */
async function answerStreamNotFound(call: ServerWritableStream<ReadReq, ReadResp>, streamId: string) {
  if (StreamNotFound.fitsInTrailers(streamId)) throw new StreamNotFound(streamId);
  const notFound = new streamsPb.ReadResp.StreamNotFound().setStreamIdentifier(streamIdentifier(streamId));
  await send(call, new streamsPb.ReadResp().setStreamNotFound(notFound));
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
