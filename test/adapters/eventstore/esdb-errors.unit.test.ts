import {
  AccessDeniedError,
  CancelledError,
  DeadlineExceededError,
  MaxAppendSizeExceededError,
  StreamDeletedError,
  UnavailableError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import { Metadata } from '@grpc/grpc-js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { EventStoreError } from '../../../adapters/eventstore/errors.ts';
import { translateError } from '../../../adapters/eventstore/esdb-errors.ts';

const context = { endpoint: 'esdb://127.0.0.1:2113?tls=false', stream: 'build-abc' };
const translating = suite('translating client errors');

translating('turns a wrong expected version into numbers and the stream name', () => {
  const error = translateError(
    new WrongExpectedVersionError(undefined, { streamName: 'build-abc', expected: 1n, current: 4n }),
    context,
  );
  assert.is(error.code, 'TALLY_EVENTSTORE_WRONG_EXPECTED_REVISION');
  assert.equal(error.failure, {
    code: 'TALLY_EVENTSTORE_WRONG_EXPECTED_REVISION',
    stream: 'build-abc',
    expected: 1,
    actual: 4,
  });
});

translating('keeps no_stream and stream_exists as words', () => {
  const error = translateError(
    new WrongExpectedVersionError(undefined, {
      streamName: 'x',
      expected: 'stream_exists',
      current: 'no_stream',
    }),
    context,
  );
  assert.equal(error.failure, {
    code: 'TALLY_EVENTSTORE_WRONG_EXPECTED_REVISION',
    stream: 'build-abc',
    expected: 'stream_exists',
    actual: 'no_stream',
  });
});

translating('names the deleted stream', () => {
  const error = translateError(StreamDeletedError.fromStreamName('build-abc'), context);
  assert.equal(error.failure, { code: 'TALLY_EVENTSTORE_STREAM_DELETED', stream: 'build-abc' });
});

translating('carries the size limit of a refused append', () => {
  const error = translateError(MaxAppendSizeExceededError.fromMaxAppendSize(1048576), context);
  assert.equal(error.failure, {
    code: 'TALLY_EVENTSTORE_APPEND_TOO_LARGE',
    stream: 'build-abc',
    maxAppendSize: 1048576,
  });
});

translating('tells the user what to check when the store is unreachable', () => {
  const error = translateError(new UnavailableError(undefined, 'No connection established'), context);
  assert.is(error.code, 'TALLY_EVENTSTORE_UNAVAILABLE');
  assert.match(error.message, /esdb:\/\/127\.0\.0\.1:2113/);
  assert.match(error.message, /tally ledger serve/);
  assert.match(error.message, /tls=false/);
});

translating('maps deadlines and access denials to their own codes', () => {
  assert.is(translateError(new DeadlineExceededError(), context).code, 'TALLY_EVENTSTORE_TIMEOUT');
  assert.is(translateError(new AccessDeniedError(), context).code, 'TALLY_EVENTSTORE_ACCESS_DENIED');
  assert.is(translateError(new CancelledError(), context).code, 'TALLY_EVENTSTORE_UNAVAILABLE');
});

translating('wraps anything else without losing the cause', () => {
  const cause = new TypeError('boom');
  const error = translateError(cause, context);
  assert.is(error.code, 'TALLY_EVENTSTORE_FAILED');
  assert.is(error.cause, cause);
  assert.ok(error instanceof EventStoreError);
});

translating('passes an EventStoreError through unchanged', () => {
  const original = new EventStoreError({ code: 'TALLY_EVENTSTORE_FAILED' }, 'x');
  assert.is(translateError(original, context), original);
});

translating.run();

const raw = suite('translating raw gRPC errors');

raw('recognises an unconverted UNAVAILABLE status', () => {
  const grpcError = Object.assign(new Error('14 UNAVAILABLE: No connection established'), {
    code: 14,
    details: 'No connection established',
    metadata: new Metadata(),
  });
  assert.is(translateError(grpcError, context).code, 'TALLY_EVENTSTORE_UNAVAILABLE');
});

raw.run();
