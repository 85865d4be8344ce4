import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  deleteIn,
  editMap,
  emptyMap,
  entriesOf,
  getIn,
  hasIn,
  newWriter,
  type PMap,
  setIn,
  updateIn,
  valuesOf,
  writingInPlace,
} from '../../../projections/shared/persistent-map.ts';

/** One write: a set (with its value) or a delete. */
type Write = readonly ['set', string, number] | readonly ['delete', string];
/** A step of a random history: one write through `setIn`/`deleteIn`, or a batch through `editMap`. */
type Step = { readonly one: Write } | { readonly batch: readonly Write[] };

const keyArb = fc.string({ maxLength: 6 });
const writeArb: fc.Arbitrary<Write> = fc.oneof(
  fc.tuple(fc.constant('set' as const), keyArb, fc.integer()),
  fc.tuple(fc.constant('delete' as const), keyArb),
);
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: writeArb.map((one) => ({ one })) },
  { weight: 1, arbitrary: fc.array(writeArb, { maxLength: 20 }).map((batch) => ({ batch })) },
);

function applyTo(model: Map<string, number>, write: Write): void {
  if (write[0] === 'set') model.set(write[1], write[2]);
  else model.delete(write[1]);
}

function assertMatches(map: PMap<number>, model: ReadonlyMap<string, number>, message?: string): void {
  assert.is(map.size, model.size, message);
  assert.equal(new Map(entriesOf(map)), model, message);
  for (const [key, value] of model) assert.is(getIn(map, key), value, message);
}

/** Store-path-like keys, enough of them that some share a leaf (their hashes agree on the low 20 bits). */
function storePaths(count: number): string[] {
  return Array.from(
    { length: count },
    (_, i) => `/nix/store/${i.toString(32).padStart(32, '0')}-pkg-${i}.drv`,
  );
}

const properties = suite('persistent map, against a Map');

properties(
  'reads as a Map after any history of sets, deletes and batches, and leaves every older version as it was',
  () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 150 }), (steps) => {
        let map: PMap<number> = emptyMap();
        const model = new Map<string, number>();
        const history: [PMap<number>, Map<string, number>][] = [[map, new Map()]];
        for (const step of steps) {
          const before = map;
          const expected = new Map(model);
          if ('one' in step) {
            const [kind, key] = step.one;
            map = kind === 'set' ? setIn(map, key, step.one[2]!) : deleteIn(map, key);
            applyTo(model, step.one);
          } else {
            map = editMap(map, (editor) => {
              for (const write of step.batch) {
                if (write[0] === 'set') editor.set(write[1], write[2]);
                else editor.delete(write[1]);
                applyTo(model, write);
                assert.is(editor.get(write[1]), model.get(write[1]), 'the editor reads its own writes');
              }
            });
          }
          const unchanged =
            expected.size === model.size && [...model].every(([k, v]) => expected.get(k) === v);
          if (unchanged && 'one' in step)
            assert.is(map, before, 'a write that changes nothing returns the same map');
          history.push([map, new Map(model)]);
        }
        for (const [version, state] of history) assertMatches(version, state, 'an older version changed');
      }),
    );
  },
);

properties('survives a JSON round trip: the parsed map reads the same and takes further writes', () => {
  fc.assert(
    fc.property(
      fc.array(writeArb, { maxLength: 100 }),
      fc.array(writeArb, { maxLength: 30 }),
      (first, then) => {
        let map: PMap<number> = emptyMap();
        const model = new Map<string, number>();
        for (const write of first) {
          map = write[0] === 'set' ? setIn(map, write[1], write[2]) : deleteIn(map, write[1]);
          applyTo(model, write);
        }
        let parsed = JSON.parse(JSON.stringify(map)) as PMap<number>;
        assert.equal(parsed, map);
        assertMatches(parsed, model);
        for (const write of then) {
          parsed = write[0] === 'set' ? setIn(parsed, write[1], write[2]) : deleteIn(parsed, write[1]);
          applyTo(model, write);
        }
        assertMatches(parsed, model);
      },
    ),
  );
});

properties(
  'written in place under one writer, reads as a Map, and a version handed out before a new writer never changes',
  () => {
    fc.assert(
      fc.property(fc.array(fc.array(stepArb, { maxLength: 30 }), { maxLength: 8 }), (rounds) => {
        let map: PMap<number> = emptyMap();
        const model = new Map<string, number>();
        const handedOut: [PMap<number>, Map<string, number>][] = [];
        for (const steps of rounds) {
          const writer = newWriter();
          for (const step of steps) {
            map = writingInPlace(writer, () => {
              if ('one' in step) {
                applyTo(model, step.one);
                return step.one[0] === 'set'
                  ? setIn(map, step.one[1], step.one[2])
                  : deleteIn(map, step.one[1]);
              }
              return editMap(map, (editor) => {
                for (const write of step.batch) {
                  if (write[0] === 'set') editor.set(write[1], write[2]);
                  else editor.delete(write[1]);
                  applyTo(model, write);
                }
              });
            });
            assertMatches(map, model);
          }
          // Handing the map out: from now on a new writer, so this version must stay as it is.
          handedOut.push([map, new Map(model)]);
        }
        for (const [version, state] of handedOut)
          assertMatches(version, state, 'a handed-out version changed');
        assert.equal(JSON.parse(JSON.stringify(map)), JSON.parse(JSON.stringify(map)));
      }),
    );
  },
);

const map = suite('persistent map');

map('changes its own nodes in place under one writer, and copies them under another or outside', () => {
  const writer = newWriter();
  const first = writingInPlace(writer, () => setIn(emptyMap<number>(), 'a', 1));
  const second = writingInPlace(writer, () => setIn(first, 'b', 2));
  assert.is(second.root, first.root, 'the same writer changed the root in place');
  const other = writingInPlace(newWriter(), () => setIn(second, 'c', 3));
  assert.is.not(other.root, second.root, 'another writer copies');
  assert.is(getIn(second, 'c'), undefined);
  const outside = setIn(second, 'd', 4);
  assert.is.not(outside.root, second.root, 'outside any writer, writes copy');
  assert.is(getIn(second, 'd'), undefined);
  assert.equal(JSON.stringify(second), JSON.stringify(JSON.parse(JSON.stringify(second))), 'no mark in JSON');
});

map('copies a node of its own writer that was frozen since', () => {
  const writer = newWriter();
  const first = writingInPlace(writer, () => setIn(emptyMap<number>(), 'a', 1));
  Object.freeze(first.root);
  const second = writingInPlace(writer, () => setIn(first, 'b', 2));
  assert.is.not(second.root, first.root);
  assert.is(getIn(first, 'b'), undefined);
  assert.is(getIn(second, 'b'), 2);
});

map('is empty at first: no size, no entries, nothing to read', () => {
  const empty = emptyMap<number>();
  assert.is(empty.size, 0);
  assert.equal([...entriesOf(empty)], []);
  assert.is(getIn(empty, 'k'), undefined);
  assert.is(hasIn(empty, 'k'), false);
});

map('holds thousands of store paths, some sharing a leaf, through sets and deletes', () => {
  const paths = storePaths(5000);
  let big = emptyMap<number>();
  paths.forEach((path, i) => {
    big = setIn(big, path, i);
  });
  assert.is(big.size, paths.length);
  for (const [i, path] of paths.entries()) assert.is(getIn(big, path), i);
  const full = big;
  paths.forEach((path, i) => {
    if (i % 2 === 0) big = deleteIn(big, path);
  });
  assert.is(big.size, paths.length / 2);
  paths.forEach((path, i) => {
    assert.is(getIn(big, path), i % 2 === 0 ? undefined : i);
    assert.is(getIn(full, path), i, 'the version before the deletes');
  });
});

map('has a key only while it holds a value', () => {
  const one = setIn(emptyMap<string>(), 'a', 'x');
  assert.is(hasIn(one, 'a'), true);
  assert.is(hasIn(one, 'b'), false);
  assert.is(hasIn(deleteIn(one, 'a'), 'a'), false);
});

map('returns the same map when a delete finds no key', () => {
  const one = setIn(emptyMap<number>(), 'a', 1);
  assert.is(deleteIn(one, 'b'), one);
  assert.is(deleteIn(emptyMap<number>(), 'b').size, 0);
});

map('is the empty map again, root and all, once its last key is deleted', () => {
  const paths = storePaths(100);
  let some = emptyMap<number>();
  for (const path of paths) some = setIn(some, path, 1);
  for (const path of paths) some = deleteIn(some, path);
  assert.equal(some, emptyMap());
});

map('updates a present value through a function, and leaves absent keys and unchanged values alone', () => {
  const one = setIn(emptyMap<number>(), 'a', 1);
  const updated = updateIn(one, 'a', (n) => n + 1);
  assert.is(getIn(updated, 'a'), 2);
  assert.is(getIn(one, 'a'), 1);
  assert.is(
    updateIn(one, 'b', (n) => n + 1),
    one,
  );
  assert.is(
    updateIn(one, 'a', (n) => n),
    one,
  );
});

map('lists every value once', () => {
  let some = emptyMap<number>();
  for (const [key, value] of [
    ['a', 1],
    ['b', 2],
    ['c', 3],
  ] as const)
    some = setIn(some, key, value);
  assert.equal([...valuesOf(some)].sort(), [1, 2, 3]);
});

map(
  'ends a batch with the map its writes would make one by one, leaving the map it started from alone',
  () => {
    const start = setIn(emptyMap<number>(), 'seed', 0);
    const batched = editMap(start, (editor) => {
      for (let i = 0; i < 1000; i++) editor.set(`k${i}`, i);
      editor.set('k0', -1);
      editor.delete('seed');
    });
    let oneByOne = start;
    for (let i = 0; i < 1000; i++) oneByOne = setIn(oneByOne, `k${i}`, i);
    oneByOne = deleteIn(setIn(oneByOne, 'k0', -1), 'seed');
    assert.equal(batched, oneByOne);
    assert.equal([...entriesOf(start)], [['seed', 0]]);
  },
);

map('returns the same map from a batch that writes nothing new', () => {
  const one = setIn(emptyMap<number>(), 'a', 1);
  assert.is(
    editMap(one, () => {}),
    one,
  );
  assert.is(
    editMap(one, (editor) => {
      editor.set('a', 1);
      editor.delete('b');
    }),
    one,
  );
});

properties.run();
map.run();
