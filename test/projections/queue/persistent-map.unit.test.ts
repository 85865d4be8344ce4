import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  deleteIn,
  emptyMap,
  entriesOf,
  getIn,
  type PMap,
  setIn,
} from '../../../projections/queue/persistent-map.ts';

const test = suite('persistent map');

test('behaves as a Map under random sets and deletes, sharing unchanged versions', () => {
  const op = fc.tuple(fc.boolean(), fc.string({ maxLength: 6 }), fc.integer());
  fc.assert(
    fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
      let map: PMap<number> = emptyMap();
      const model = new Map<string, number>();
      for (const [remove, key, value] of ops) {
        const before = map;
        map = remove ? deleteIn(map, key) : setIn(map, key, value);
        if (remove ? !model.has(key) : model.get(key) === value) assert.is(map, before);
        if (remove) model.delete(key);
        else model.set(key, value);
        assert.is(getIn(before, key), getIn(before, key), 'the old version is untouched');
      }
      assert.is(map.size, model.size);
      assert.equal(new Map(entriesOf(map)), model);
      for (const [key, value] of model) assert.is(getIn(map, key), value);
      assert.equal(JSON.parse(JSON.stringify(map)), map);
    }),
  );
});

test('an emptied map is the empty map again', () => {
  const map = deleteIn(setIn(emptyMap<number>(), 'k', 1), 'k');
  assert.equal(map, emptyMap());
});

test.run();
