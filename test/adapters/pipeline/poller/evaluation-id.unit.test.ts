/**
 * `pollEvaluationId`: a poll repeated on the same commits asks for the same evaluation; any other
 * commit, branch, channel or specification asks for another.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { pollEvaluationId } from '../../../../adapters/pipeline/poller/evaluation-id.ts';
import type { Checkout } from '../../../../domain/checkout/checkout.ts';

const test = suite('pollEvaluationId');

const checkout = (overrides: Partial<Checkout> = {}): Checkout => ({
  channel: 'main',
  url: 'https://example.org/repo.git',
  branch: 'main',
  commit: 'a'.repeat(40),
  commitTime: '2024-01-02T01:04:05.000Z',
  ...overrides,
});

test('is the same for the same specification and commits, and names the specification', () => {
  const first = pollEvaluationId('demo', [checkout(), checkout({ channel: 'lib', commit: 'b'.repeat(40) })]);
  const again = pollEvaluationId('demo', [checkout(), checkout({ channel: 'lib', commit: 'b'.repeat(40) })]);
  assert.is(first, again);
  assert.match(first, /^demo-[0-9a-f]{16}$/);
});

test('differs when a commit differs', () => {
  const before = pollEvaluationId('demo', [checkout(), checkout({ channel: 'lib', commit: 'b'.repeat(40) })]);
  const after = pollEvaluationId('demo', [checkout(), checkout({ channel: 'lib', commit: 'c'.repeat(40) })]);
  assert.is.not(before, after);
});

test('differs for another branch, channel or specification on the same commit', () => {
  const base = pollEvaluationId('demo', [checkout()]);
  assert.is.not(pollEvaluationId('demo', [checkout({ branch: 'wip-a' })]), base);
  assert.is.not(pollEvaluationId('demo', [checkout({ channel: 'other' })]), base);
  assert.is.not(pollEvaluationId('other', [checkout()]), base);
});

test('does not depend on the commit time', () => {
  assert.is(
    pollEvaluationId('demo', [checkout({ commitTime: '2030-01-01T00:00:00.000Z' })]),
    pollEvaluationId('demo', [checkout()]),
  );
});

test('differs for a name registered again, and is unchanged for its first registration', () => {
  const first = pollEvaluationId('demo', [checkout()]);
  // The id farms gave this spec and commit before registrations counted, so theirs stay what they were.
  assert.is(first, 'demo-fc8b94db528067cf');
  assert.is(pollEvaluationId('demo', [checkout()], 1), first);
  assert.is(pollEvaluationId('demo', [checkout()], 0), first);
  const second = pollEvaluationId('demo', [checkout()], 2);
  assert.is.not(second, first);
  assert.is.not(pollEvaluationId('demo', [checkout()], 3), second);
  assert.is(pollEvaluationId('demo', [checkout()], 2), second);
});

test('differs for heads set back to the same commits, by the detection that set them back', () => {
  const first = pollEvaluationId('demo', [checkout()]);
  assert.is(pollEvaluationId('demo', [checkout()], 1, undefined), first);
  const back = pollEvaluationId('demo', [checkout()], 1, 3);
  assert.is.not(back, first);
  assert.is(pollEvaluationId('demo', [checkout()], 1, 3), back, 'a retried poll asks for the same one');
  assert.is.not(pollEvaluationId('demo', [checkout()], 1, 7), back);
  assert.is.not(pollEvaluationId('demo', [checkout()], 2, 3), back);
});

test.run();
