import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Channel } from '../../../domain/specification/specification.ts';
import { evaluations } from '../../../projections/evaluations/index.ts';
import { evaluationReport } from '../../../projections/evaluations/report.ts';
import { drv, FarmHistory, given, job } from '../fixtures/farm-history.ts';

const test = suite('evaluation report');

const channels: readonly Channel[] = [
  { name: 'wip', url: 'https://git.example.org/guix.git', branchPattern: 'wip-*' },
  { name: 'base', url: 'https://git.example.org/base.git', branch: 'master' },
];

/** An evaluation of `x` at `version` on the checkouts, its build ended as `outcome`. */
function evaluateX(
  farm: FarmHistory,
  checkouts: ReturnType<FarmHistory['detectCheckout']>[],
  version: string,
  outcome: 'succeeded' | 'failed',
): string {
  const id = farm.evaluate('guix', [job('x', { version })], { checkouts });
  farm.scheduleBuilds(id);
  farm.build(drv(`x-${version}`), outcome);
  return id;
}

test('compares an evaluation of a pattern branch with the previous one of the same branch', () => {
  const farm = new FarmHistory();
  farm.registerSpec('guix', { channels });
  const base = farm.detectCheckout('guix', { channel: 'base' });
  const a = [farm.detectCheckout('guix', { channel: 'wip', branch: 'wip-a' }), base];
  const b = [farm.detectCheckout('guix', { channel: 'wip', branch: 'wip-b' }), base];
  const a1 = evaluateX(farm, a, '1', 'failed');
  const b1 = evaluateX(farm, b, '2', 'succeeded');
  const a2 = evaluateX(farm, a, '3', 'failed');
  const b2 = evaluateX(farm, b, '4', 'failed');
  const a3 = evaluateX(farm, a, '5', 'succeeded');
  const { state } = given(evaluations.projection, farm.events);
  const told = (id: string) => {
    const report = evaluationReport(state, id, channels)!;
    const names = (jobs: readonly { job: string }[]) => jobs.map((each) => each.job);
    return [report.comparedWith, names(report.newFailures), names(report.fixed)];
  };
  const x = 'x.x86_64-linux';
  assert.equal(told(a2), [a1, [], []], "still failing on wip-a: wip-b's success is not its baseline");
  assert.equal(told(b2), [b1, [x], []]);
  assert.equal(told(a3), [a2, [], [x]]);
  assert.equal(told(b1), [undefined, [], []], "wip-b's first evaluation has nothing to compare with");
});

test('compares evaluations of a specification without pattern channels whatever their commits', () => {
  const farm = new FarmHistory();
  const spec = farm.registerSpec('guix');
  const first = farm.evaluate('guix', [job('x', { version: '1' })]);
  farm.scheduleBuilds(first);
  farm.build(drv('x-1'));
  farm.detectCheckout('guix');
  const second = farm.evaluate('guix', [job('x', { version: '2' })]);
  farm.scheduleBuilds(second);
  farm.build(drv('x-2'), 'failed');
  const report = evaluationReport(given(evaluations.projection, farm.events).state, second, spec.channels)!;
  assert.is(report.comparedWith, first);
  assert.equal(
    report.newFailures.map((each) => each.job),
    ['x.x86_64-linux'],
  );
});

test.run();
