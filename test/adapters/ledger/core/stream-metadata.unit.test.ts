import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { expectationHolds } from '../../../../adapters/ledger/core/expected-revision.ts';
import {
  firstVisibleRevision,
  parseStreamMetadata,
} from '../../../../adapters/ledger/core/stream-metadata.ts';

const bytes = (value: unknown) =>
  new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));

const parse = suite('parseStreamMetadata');

parse('reads $maxCount, $maxAge and $tb', () => {
  assert.equal(parseStreamMetadata(bytes({ $maxCount: 3, $maxAge: 60, $tb: 7, other: true })), {
    maxCount: 3,
    maxAge: 60,
    truncateBefore: 7,
  });
});

parse('treats malformed or hostile metadata as none', () => {
  assert.equal(parseStreamMetadata(bytes('{not json')), {});
  assert.equal(parseStreamMetadata(bytes([1, 2])), {});
  assert.equal(parseStreamMetadata(bytes({ $maxCount: -1, $maxAge: 'soon', $tb: Number.NaN })), {});
});

parse.run();

const visible = suite('firstVisibleRevision');
const never = () => 0;

visible('shows everything without metadata', () => {
  assert.is(firstVisibleRevision(9, {}, never, 0), 0);
});

visible('keeps only the last $maxCount events', () => {
  assert.is(firstVisibleRevision(9, { maxCount: 3 }, never, 0), 7);
});

visible('hides events before $tb, and everything when $tb is past the end', () => {
  assert.is(firstVisibleRevision(9, { truncateBefore: 4 }, never, 0), 4);
  assert.is(firstVisibleRevision(9, { truncateBefore: 10 }, never, 0), 10);
});

visible('hides events older than $maxAge seconds', () => {
  const createdAt = (revision: number) => revision * 1_000_000;
  assert.is(firstVisibleRevision(9, { maxAge: 3 }, createdAt, 9_000_000), 6);
});

visible('applies the strictest of several rules', () => {
  const createdAt = (revision: number) => revision * 1_000_000;
  assert.is(firstVisibleRevision(9, { maxAge: 8, maxCount: 2, truncateBefore: 3 }, createdAt, 9_000_000), 8);
});

visible.run();

const expectation = suite('expectationHolds');

expectation('matches EventStoreDB for every expectation', () => {
  assert.ok(expectationHolds('any', 'no_stream'));
  assert.ok(expectationHolds('any', 4));
  assert.ok(expectationHolds('no_stream', 'no_stream'));
  assert.not.ok(expectationHolds('no_stream', 0));
  assert.ok(expectationHolds('stream_exists', 0));
  assert.not.ok(expectationHolds('stream_exists', 'no_stream'));
  assert.ok(expectationHolds(4, 4));
  assert.not.ok(expectationHolds(3, 4));
  assert.not.ok(expectationHolds(0, 'no_stream'));
});

expectation.run();
