import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseBuildKey } from '../../../projections/builds/keys.ts';

const test = suite('build keys (parseBuildKey)');
const hash = '0a1b2c3d4f5g6h7i8j9k0l1m2n3p4q5r';

test('reads an integer id given as a number or as decimal text', () => {
  assert.equal(parseBuildKey(7), { id: 7 });
  assert.equal(parseBuildKey('1234'), { id: 1234 });
});

test('reads a hash part as itself, and a .drv path or file name as its hash part', () => {
  assert.equal(parseBuildKey(hash), { hash });
  assert.equal(parseBuildKey(`/nix/store/${hash}-hello-2.12.drv`), { hash });
  assert.equal(parseBuildKey(`/gnu/store/${hash}-hello-2.12.drv`), { hash });
  assert.equal(parseBuildKey(`${hash}-hello-2.12.drv`), { hash });
});

test('takes 32 digits for a hash part, not an id (ids have at most 16)', () => {
  assert.equal(parseBuildKey('1'.repeat(32)), { hash: '1'.repeat(32) });
  assert.is(parseBuildKey('1'.repeat(17)), undefined);
});

test('names no build with zero, a sign, a fraction, letters outside Nix base-32 or a path of no .drv', () => {
  for (const key of ['0', '-1', '+1', '01', '1.5', 1.5, 'e'.repeat(32), 'abc', '', `/nix/store/${hash}-x`])
    assert.is(parseBuildKey(key), undefined, JSON.stringify(key));
});

test.run();
