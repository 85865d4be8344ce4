import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { canonicalJson, hashState } from '../../../projections/runtime/state-hash.ts';

const test = suite('state hash');

/** The definition, written the plain way: JSON with the keys of every object sorted, undefined members dropped. */
function reference(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    // An index loop, not `map`: a hole is `null` as well.
    const items: string[] = [];
    for (let i = 0; i < value.length; i++) items.push(reference(value[i] ?? null));
    return `[${items.join(',')}]`;
  }
  const entries = Object.entries(value)
    .filter(([, member]) => member !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, member]) => `${JSON.stringify(key)}:${reference(member)}`).join(',')}}`;
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** The same object with its keys inserted in reverse order, at every depth. */
function reversedKeys(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(reversedKeys);
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([key, member]) => [key, reversedKeys(member)]),
  );
}

test('is the SHA-256 of the sorted-key JSON, whatever order the keys were inserted in', () => {
  fc.assert(
    fc.property(fc.jsonValue(), fc.constantFrom(undefined, 1), (value, extra) => {
      const withUndefined = { value, gone: undefined, extra };
      assert.is(canonicalJson(withUndefined), reference(withUndefined));
      assert.is(hashState(withUndefined), sha256(reference(withUndefined)));
      assert.is(hashState(reversedKeys(withUndefined)), hashState(withUndefined));
    }),
  );
});

test('hashes a state far larger than one chunk and one native write, and tells a one-field change', () => {
  const docs = Array.from({ length: 20_000 }, (_, i) => ({
    z: i,
    a: `build-${i}`,
    m: { y: [i, null], b: 'x' },
  }));
  const state = { builds: docs, lastId: 20_000 };
  assert.is(hashState(state), sha256(reference(state)));
  const changed = { ...state, builds: docs.map((doc, i) => (i === 12_345 ? { ...doc, a: 'other' } : doc)) };
  assert.is.not(hashState(changed), hashState(state));
});

test('writes keys that plain objects inherit, and values that are not plain, as the definition does', () => {
  // Own `__proto__` (as JSON.parse makes it), `toString` and `constructor` keys beside objects without
  // them: a native write given the keys' list would read the others' inherited ones.
  const inherited = JSON.parse('{"__proto__": {"b": 1, "a": 2}, "toString": "x", "z": 0}');
  const nullPrototype = Object.assign(Object.create(null), { y: 1, constructor: 'c' });
  const state = {
    records: [inherited, { z: 1 }, { toString: 2 }, { k: 3 }, nullPrototype, { constructor: 4 }],
    map: new Map([['size', 1]]),
    at: new Date(0),
    plain: { size: 5, b: [{ d: 1, c: 2 }] },
  };
  assert.is(canonicalJson(state), reference(state));
  assert.is(hashState(state), sha256(reference(state)));
  // A `Map` beside an object with a `size`: the map's own keys are none, its inherited getter unread.
  const notPlain = { sizes: [{ size: 5 }, new Map([['a', 1]]), new Set([1])] };
  assert.is(canonicalJson(notPlain), reference(notPlain));
  // A property that is not enumerable, named by another object: only the enumerable ones are written.
  const hidden = Object.defineProperty({ b: 1 }, 'a', { value: 2, enumerable: false });
  const sparse: unknown[] = [];
  sparse[1] = 3;
  const withHidden = [{ a: 1 }, hidden, sparse];
  assert.is(canonicalJson(withHidden), reference(withHidden));
  // Symbols and functions are `null` members, as in the definition.
  const odd = { s: Symbol('s'), f: () => 1, list: [Symbol('t')], a: 1 };
  assert.is(canonicalJson(odd), reference(odd));
});

test('hashes nesting deeper than one native write can take', () => {
  let deep: unknown = { leaf: true };
  // The canonical JSON built alongside: `reference` itself would run out of stack at this depth.
  let expected = '{"leaf":true}';
  for (let i = 0; i < 3000; i++) {
    deep = { z: i, next: deep };
    expected = `{"next":${expected},"z":${i}}`;
  }
  assert.is(hashState(deep), sha256(expected));
});

test.run();
