/**
 * The dispatcher's fair share: what each specification has used of the workers lately.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createFairShare } from '../../../../adapters/pipeline/dispatcher/fair-share.ts';

const test = suite('fair share');

test('adds running builds to recent dispatches, each dispatch halving every half-life', () => {
  const share = createFairShare(1000);
  share.dispatched('big', 0);
  share.dispatched('big', 0);
  share.dispatched('small', 1000);
  const at2000 = share.shares(new Map([['big', 1]]), 2000);
  assert.is(at2000.get('big'), 1 + 2 * 0.25);
  assert.is(at2000.get('small'), 0.5);
  assert.is(at2000.get('idle'), undefined, 'a specification never dispatched counts nothing');
});

test('forgets a specification once its dispatches weigh next to nothing', () => {
  const share = createFairShare(1000);
  share.dispatched('old', 0);
  assert.is(share.shares(new Map(), 20_000).has('old'), false);
  assert.is(share.shares(new Map([['old', 2]]), 20_000).get('old'), 2, 'its running builds still count');
});

test('ranks the specification served last behind one served earlier', () => {
  const share = createFairShare();
  share.dispatched('a', 0);
  share.dispatched('b', 10);
  const shares = share.shares(new Map(), 20);
  assert.ok(shares.get('a')! < shares.get('b')!);
});

test.run();
