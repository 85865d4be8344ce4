/**
 * `Streams.BatchAppend`: one long-lived bidirectional stream over which the client multiplexes many
 * appends, each identified by a correlation id and possibly split over several requests (the last one
 * `is_final`). Each append is answered on the same stream, in-band, success or refusal.
 */
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { LedgerRefusalError } from '../core/errors.ts';
import type { ExpectedRevision } from '../core/expected-revision.ts';
import type { LedgerCore, ProposedEvent } from '../core/ledger-core.ts';
import { proposedEvent, streamIdentifier, streamNameOf, uuidMessage, uuidOf } from './convert.ts';
import { batchAppendStatus } from './errors.ts';
import { type BatchAppendReq, type BatchAppendResp, emptyPb, sharedPb, streamsPb } from './proto.ts';

interface OpenAppend {
  streamId: string;
  expected: ExpectedRevision;
  events: ProposedEvent[];
  refused?: unknown;
}

type BatchOptions = NonNullable<ReturnType<BatchAppendReq['getOptions']>>;

function expectedOf(options: BatchOptions): ExpectedRevision {
  if (options.hasStreamPosition()) return Number(options.getStreamPosition());
  if (options.hasNoStream()) return 'no_stream';
  if (options.hasStreamExists()) return 'stream_exists';
  return 'any';
}

export function createBatchAppendHandler(core: LedgerCore, logger: Logger) {
  return (call: ServerDuplexStream<BatchAppendReq, BatchAppendResp>) => {
    const open = new Map<string, OpenAppend>();
    let unanswered = 0;
    let ended = false;
    const finishIfDone = () => {
      if (ended && unanswered === 0) call.end();
    };

    function answer(
      correlationId: string,
      append: OpenAppend,
      outcome: Promise<{ nextRevision: number; position: number }>,
    ) {
      unanswered += 1;
      outcome
        .then(
          (result) => {
            const success = new streamsPb.BatchAppendResp.Success().setPosition(
              new sharedPb.AllStreamPosition()
                .setCommitPosition(String(result.position))
                .setPreparePosition(String(result.position)),
            );
            // A stream still without events (an empty append checked only the expectation) has no revision.
            if (result.nextRevision < 0) success.setNoStream(new emptyPb.Empty());
            else success.setCurrentRevision(String(result.nextRevision));
            return respond(correlationId, append).setSuccess(success);
          },
          (error: unknown) => {
            if (!(error instanceof LedgerRefusalError))
              logger.error({ err: error, stream: append.streamId }, 'append failed');
            return respond(correlationId, append).setError(batchAppendStatus(error));
          },
        )
        .then((response) => {
          unanswered -= 1;
          if (!call.cancelled && !call.destroyed) call.write(response);
          finishIfDone();
        });
    }

    call.on('data', (request: BatchAppendReq) => {
      const correlationId = uuidOf(request.getCorrelationId());
      if (!correlationId) {
        call.destroy(new Error('a BatchAppend request without a valid correlation id'));
        return;
      }
      let append = open.get(correlationId);
      if (!append) {
        const options = request.getOptions();
        append = {
          streamId: streamNameOf(options?.getStreamIdentifier()),
          expected: options ? expectedOf(options) : 'any',
          events: [],
        };
        if (!options) {
          append.refused = new LedgerRefusalError({
            kind: 'invalid-argument',
            message: 'the first request of an append must carry the options',
          });
        }
        open.set(correlationId, append);
      }
      for (const message of request.getProposedMessagesList()) {
        const event = proposedEvent(message);
        if (!event)
          append.refused ??= new LedgerRefusalError({
            kind: 'invalid-argument',
            message: 'an event has no valid id',
          });
        else append.events.push(event);
      }
      if (!request.getIsFinal()) return;
      open.delete(correlationId);
      const outcome = append.refused
        ? Promise.reject(append.refused)
        : core.append(append.streamId, append.expected, append.events);
      answer(correlationId, append, outcome);
    });
    call.on('end', () => {
      ended = true;
      finishIfDone();
    });
    call.on('error', (error) => logger.debug({ err: error }, 'batch append stream failed'));
  };
}

function respond(correlationId: string, append: OpenAppend): BatchAppendResp {
  const response = new streamsPb.BatchAppendResp()
    .setCorrelationId(uuidMessage(correlationId, 'string'))
    .setStreamIdentifier(streamIdentifier(append.streamId));
  const expected = append.expected;
  if (expected === 'any') response.setAny(new emptyPb.Empty());
  else if (expected === 'no_stream') response.setNoStream(new emptyPb.Empty());
  else if (expected === 'stream_exists') response.setStreamExists(new emptyPb.Empty());
  else response.setStreamPosition(String(expected));
  return response;
}
