import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { partitionByWeight } from '../../../adapters/projection-replay/partition.ts';

const test = suite('sharing projections out among replay threads');

test('puts every projection in exactly one group, in the order given, and balances the weights', () => {
  const names = ['queue', 'workers', 'metrics', 'jobsets', 'evaluations', 'builds', 'pipeline'];
  const weights = {
    queue: 6,
    workers: 0.4,
    metrics: 4,
    jobsets: 5,
    evaluations: 3.4,
    builds: 11,
    pipeline: 4,
  };
  const groups = partitionByWeight(names, 2, weights);
  assert.is(groups.length, 2);
  assert.equal(groups.flat().sort(), [...names].sort());
  for (const group of groups)
    assert.equal(
      group,
      names.filter((name) => group.includes(name)),
      'catalogue order kept',
    );
  const totals = groups.map((group) =>
    group.reduce((sum, name) => sum + weights[name as keyof typeof weights], 0),
  );
  // 33.8 in all, 16.9 each at best: heaviest-first to the lightest group is within 4/3 of the best.
  assert.ok(Math.max(...totals) <= (4 / 3) * 16.9, `totals ${totals.join(' / ')}`);
  assert.ok(
    groups.some((group) => group.includes('builds') && !group.includes('queue')),
    'the two heaviest apart',
  );
});

test('makes no more groups than projections, and one when asked for one or fewer', () => {
  assert.equal(partitionByWeight(['a', 'b'], 8), [['a'], ['b']]);
  assert.equal(partitionByWeight(['a', 'b', 'c'], 1), [['a', 'b', 'c']]);
  assert.equal(partitionByWeight(['a', 'b', 'c'], 0), [['a', 'b', 'c']]);
  assert.equal(partitionByWeight([], 2), []);
});

test.run();
