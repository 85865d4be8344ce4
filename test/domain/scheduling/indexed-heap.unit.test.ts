import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { IndexedHeap } from '../../../domain/scheduling/index.ts';

interface Item {
  readonly key: string;
  readonly rank: number;
}

const before = (a: Item, b: Item) => (a.rank !== b.rank ? a.rank < b.rank : a.key < b.key);
const newHeap = () => new IndexedHeap<Item>((item) => item.key, before);

const heap = suite('IndexedHeap');

heap('comes out in order after any mix of pushes, replacements and removals by key', () => {
  const key = fc.constantFrom(...'abcdefghijklmnop');
  const step = fc.oneof(
    fc.record({ push: fc.record({ key, rank: fc.integer({ min: 0, max: 20 }) }) }),
    fc.record({ remove: key }),
    fc.record({ pop: fc.constant(true) }),
  );
  fc.assert(
    fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
      const subject = newHeap();
      const model = new Map<string, Item>();
      const first = () => [...model.values()].sort((a, b) => (before(a, b) ? -1 : 1))[0];
      for (const action of steps) {
        if ('push' in action) {
          subject.push(action.push);
          model.set(action.push.key, action.push);
        } else if ('remove' in action) {
          assert.is(subject.delete(action.remove), model.delete(action.remove));
        } else {
          const expected = first();
          assert.equal(subject.pop(), expected);
          if (expected) model.delete(expected.key);
        }
        assert.is(subject.size, model.size);
        assert.equal(subject.peek(), first());
      }
      for (const item of model.keys()) assert.ok(subject.has(item));
    }),
    { numRuns: 300 },
  );
});

heap.run();
