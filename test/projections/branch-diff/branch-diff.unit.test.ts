import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isDomainError } from '../../../domain/shared/errors.ts';
import { branchDiffQueries } from '../../../projections/branch-diff/index.ts';
import { evaluations } from '../../../projections/evaluations/index.ts';
import { drv, FarmHistory, given, job } from '../fixtures/farm-history.ts';

const { diffEvaluations } = branchDiffQueries;
const test = suite('branch diff');

/** master and a wip branch of one specification, evaluated side by side. */
function twoBranches() {
  const farm = new FarmHistory();
  farm.registerSpec('guix', {
    channels: [{ name: 'main', url: 'https://git.example.org/guix.git', branchPattern: 'wip-*' }],
  });
  const master = farm.evaluate(
    'guix',
    [job('ok'), job('fixed'), job('broken'), job('bad'), job('old'), job('slow')],
    {
      checkouts: [farm.detectCheckout('guix', { branch: 'master' })],
    },
  );
  farm.scheduleBuilds(master);
  farm.build(drv('ok-1.0'));
  farm.build(drv('fixed-1.0'), 'failed');
  farm.build(drv('broken-1.0'));
  farm.build(drv('bad-1.0'), 'failed');
  farm.build(drv('old-1.0'));
  farm.build(drv('slow-1.0'));
  const wip = farm.evaluate(
    'guix',
    [
      job('ok'),
      job('fixed', { version: '2' }),
      job('broken', { version: '2' }),
      job('bad'),
      job('new'),
      job('slow', { version: '2' }),
    ],
    { checkouts: [farm.detectCheckout('guix', { branch: 'wip-x' })] },
  );
  farm.scheduleBuilds(wip);
  farm.build(drv('fixed-2'));
  farm.build(drv('broken-2'), 'failed');
  farm.build(drv('new-1.0'));
  return { farm, master, wip };
}

test('sorts the jobs of two branches into the categories of a comparison', () => {
  const { farm, master, wip } = twoBranches();
  const { state } = given(evaluations.projection, farm.events);
  const result = diffEvaluations(state, master, wip);
  assert.ok(result.ok);
  if (!result.ok) return;
  const names = Object.fromEntries(
    Object.entries(result.diff.jobs).map(([category, entries]) => [
      category,
      entries.map((e) => e.job.split('.')[0]),
    ]),
  );
  assert.equal(names, {
    'newly-failing': ['broken'],
    'newly-succeeding': ['fixed'],
    'still-failing': ['bad'],
    'still-succeeding': ['ok'],
    unfinished: ['slow'],
    added: ['new'],
    removed: ['old'],
  });
  const broken = result.diff.jobs['newly-failing'][0]!;
  assert.equal(broken.from, { drvPath: drv('broken-1.0'), status: 'succeeded' });
  assert.equal(broken.to, { drvPath: drv('broken-2'), status: 'failed' });
  assert.is(result.diff.from.id, master);
});

test('compares evaluations of two specifications', () => {
  const farm = new FarmHistory();
  farm.registerSpec('a');
  farm.registerSpec('b');
  const a = farm.evaluate('a', [job('hello')]);
  const b = farm.evaluate('b', [job('hello')]);
  farm.scheduleBuilds(a);
  farm.scheduleBuilds(b);
  farm.build(drv('hello-1.0'));
  const { state } = given(evaluations.projection, farm.events);
  const result = diffEvaluations(state, a, b);
  assert.ok(result.ok && result.diff.jobs['still-succeeding'].length === 1);
});

test('an unknown evaluation is a not-found error', () => {
  const { farm, master } = twoBranches();
  const { state } = given(evaluations.projection, farm.events);
  for (const [from, to] of [
    [master, 'nope'],
    ['nope', master],
  ] as const) {
    const result = diffEvaluations(state, from, to);
    assert.not.ok(result.ok);
    if (result.ok) return;
    assert.ok(isDomainError(result.error));
    assert.is(result.error.code, 'TALLY_EVALUATION_NOT_FOUND');
    assert.is(result.error.status, 404);
    assert.match(result.error.message, 'nope');
  }
});

test.run();
