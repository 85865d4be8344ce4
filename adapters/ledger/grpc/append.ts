/**
 * `Streams.Append`: a client stream of one options message then the proposed events; one answer.
 * A wrong expected version is answered in-band (the client turns it into WrongExpectedVersionError);
 * other refusals are gRPC errors with EventStoreDB's trailers.
 */
import type { ServerReadableStream, sendUnaryData } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { LedgerRefusalError } from '../core/errors.ts';
import type { ExpectedRevision } from '../core/expected-revision.ts';
import type { LedgerCore, ProposedEvent } from '../core/ledger-core.ts';
import { expectedRevisionOf, proposedEvent, streamNameOf } from './convert.ts';
import { toServiceError } from './errors.ts';
import { type AppendReq, type AppendResp, emptyPb, streamsPb } from './proto.ts';

export function createAppendHandler(core: LedgerCore, logger: Logger) {
  return (call: ServerReadableStream<AppendReq, AppendResp>, callback: sendUnaryData<AppendResp>) => {
    let streamId: string | undefined;
    let expected: ExpectedRevision = 'any';
    const events: ProposedEvent[] = [];
    let refused: unknown;

    call.on('data', (request: AppendReq) => {
      if (refused) return;
      if (request.hasOptions()) {
        const options = request.getOptions()!;
        streamId = streamNameOf(options.getStreamIdentifier());
        expected = expectedRevisionOf(options);
        return;
      }
      const message = request.getProposedMessage();
      const event = message ? proposedEvent(message) : undefined;
      if (streamId === undefined || !event) {
        refused = new LedgerRefusalError({
          kind: 'invalid-argument',
          message:
            streamId === undefined
              ? 'the first append message must carry the options'
              : 'an event has no valid id',
        });
        return;
      }
      events.push(event);
    });
    call.on('error', (error) => logger.debug({ err: error }, 'append stream failed'));
    call.on('end', () => {
      if (refused) return callback(toServiceError(refused));
      if (streamId === undefined) {
        return callback(
          toServiceError(
            new LedgerRefusalError({ kind: 'invalid-argument', message: 'no options were sent' }),
          ),
        );
      }
      const stream = streamId;
      core.append(stream, expected, events).then(
        (result) => {
          const success = new streamsPb.AppendResp.Success().setPosition(
            new streamsPb.AppendResp.Position()
              .setCommitPosition(String(result.position))
              .setPreparePosition(String(result.position)),
          );
          // A stream still without events (an empty append checked only the expectation) has no revision.
          if (result.nextRevision < 0) success.setNoStream(new emptyPb.Empty());
          else success.setCurrentRevision(String(result.nextRevision));
          callback(null, new streamsPb.AppendResp().setSuccess(success));
        },
        (error: unknown) => {
          if (error instanceof LedgerRefusalError && error.refusal.kind === 'wrong-expected-version') {
            return callback(null, wrongExpectedVersionResponse(error.refusal.actual, error.refusal.expected));
          }
          if (!(error instanceof LedgerRefusalError)) logger.error({ err: error, stream }, 'append failed');
          callback(toServiceError(error));
        },
      );
    });
  };
}

function wrongExpectedVersionResponse(actual: number | 'no_stream', expected: ExpectedRevision): AppendResp {
  const wrong = new streamsPb.AppendResp.WrongExpectedVersion();
  if (actual === 'no_stream') wrong.setCurrentNoStream(new emptyPb.Empty());
  else wrong.setCurrentRevision(String(actual));
  if (expected === 'any') wrong.setExpectedAny(new emptyPb.Empty());
  else if (expected === 'no_stream') wrong.setExpectedNoStream(new emptyPb.Empty());
  else if (expected === 'stream_exists') wrong.setExpectedStreamExists(new emptyPb.Empty());
  else wrong.setExpectedRevision(String(expected));
  return new streamsPb.AppendResp().setWrongExpectedVersion(wrong);
}
