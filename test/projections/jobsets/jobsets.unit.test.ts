import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { noJobs } from '../../../projections/evaluations/state.ts';
import { type JobsetsState, jobsets } from '../../../projections/jobsets/index.ts';
import { drv, FarmHistory, given, job } from '../fixtures/farm-history.ts';
import { patternFarm } from '../fixtures/pattern-farm.ts';

const { projection, queries } = jobsets;
const test = suite('jobsets read model');

/** `patternFarm` with a checkout of `wip-a` and of `wip-b`. */
function twoBranches() {
  const { farm, on } = patternFarm();
  return { farm, a: on('wip-a'), b: on('wip-b') };
}

/** guix's job weather as `[job, weather, previous status]`, of one line or of the latest. */
const weatherOf = (state: JobsetsState, line?: string) =>
  queries.jobWeather(state, 'guix', line)?.map((w) => [w.job, w.weather, w.previousStatus]);

test('keeps a specification definition and active flag through updates, pauses and removal', () => {
  const farm = new FarmHistory();
  farm.registerSpec('guix');
  farm.registerSpec('nixpkgs');
  farm.updateSpec('guix', { priority: 5 });
  farm.deactivateSpec('guix', 'maintenance');
  let state = given(projection, farm.events).state;
  const guix = queries.getSpec(state, 'guix')!;
  assert.is(guix.definition.priority, 5);
  assert.is(guix.active, false);
  assert.equal(
    queries.listSpecs(state).map((s) => s.name),
    ['guix', 'nixpkgs'],
  );
  farm.activateSpec('guix');
  farm.removeSpec('nixpkgs');
  state = given(projection, farm.events).state;
  assert.is(queries.getSpec(state, 'guix')?.active, true);
  assert.is(queries.getSpec(state, 'nixpkgs'), undefined);
  assert.is(queries.jobWeather(state, 'nixpkgs'), undefined);
});

test('shows each channel last checkout, a failing poll and its recovery', () => {
  const farm = new FarmHistory();
  farm.registerSpec('guix');
  farm.detectCheckout('guix');
  const latest = farm.detectCheckout('guix');
  farm.pollFailed('guix', 'main', 'auth-failed', 'Permission denied');
  let channel = queries.getSpec(given(projection, farm.events).state, 'guix')!.channels.main!;
  assert.is(channel.lastCheckout?.commit, latest.commit);
  assert.is(channel.lastCheckout?.branch, 'master');
  assert.is(channel.pollFailure?.reason, 'auth-failed');
  farm.pollRecovered('guix');
  channel = queries.getSpec(given(projection, farm.events).state, 'guix')!.channels.main!;
  assert.is(channel.pollFailure, undefined);
  assert.ok(channel.recoveredAt);
  assert.is(channel.lastCheckout?.commit, latest.commit);
});

test('shows the checkout a specification registered again is evaluated on, which is detected only once', () => {
  const farm = new FarmHistory();
  farm.registerSpec('guix');
  const head = farm.detectCheckout('guix');
  farm.requestEvaluation('guix', { checkouts: [head] });
  farm.removeSpec('guix');
  farm.registerSpec('guix');
  let guix = queries.getSpec(given(projection, farm.events).state, 'guix')!;
  assert.equal(guix.channels, {}, 'registered anew: nothing known of its channels yet');
  // The poller evaluates the head its checkout stream already knows; no new CheckoutDetected names it.
  farm.requestEvaluation('guix', { checkouts: [head] });
  guix = queries.getSpec(given(projection, farm.events).state, 'guix')!;
  assert.is(guix.channels.main?.lastCheckout?.commit, head.commit);
  assert.is(guix.channels.main?.lastCheckout?.branch, head.branch);
  const newer = farm.detectCheckout('guix');
  farm.requestEvaluation('guix', { checkouts: [head] });
  guix = queries.getSpec(given(projection, farm.events).state, 'guix')!;
  assert.is(guix.channels.main?.lastCheckout?.commit, newer.commit, 'a detected checkout stays the last one');
});

test('shows the last evaluation as it runs and ends, with the latest completed one counted', () => {
  const farm = new FarmHistory();
  farm.registerSpec('guix');
  const first = farm.evaluate('guix', [job('a'), job('b')]);
  farm.scheduleBuilds(first);
  farm.build(drv('a-1.0'));
  farm.build(drv('b-1.0'), 'failed');
  const second = farm.requestEvaluation('guix');
  farm.startEvaluation(second);
  let guix = queries.getSpec(given(projection, farm.events).state, 'guix')!;
  assert.is(guix.lastEvaluation?.id, second);
  assert.is(guix.lastEvaluation?.status, 'started');
  assert.equal(guix.runningEvaluations, [second]);
  assert.equal(guix.latestEvaluation, {
    id: first,
    finishedAt: guix.latestEvaluation?.finishedAt ?? '',
    counts: { ...noJobs, succeeded: 1, failed: 1 },
  });
  farm.failEvaluation(second);
  guix = queries.getSpec(given(projection, farm.events).state, 'guix')!;
  assert.is(guix.lastEvaluation?.status, 'failed');
  assert.equal(guix.runningEvaluations, []);
  assert.is(guix.latestEvaluation?.id, first, 'a failed evaluation does not replace the latest completed');
});

test("a removed specification's evaluation still running does not land on one registered again", () => {
  const farm = new FarmHistory();
  farm.registerSpec('guix');
  const old = farm.requestEvaluation('guix');
  farm.startEvaluation(old);
  farm.removeSpec('guix');
  farm.registerSpec('guix');
  let guix = queries.getSpec(given(projection, farm.events).state, 'guix')!;
  assert.equal(guix.runningEvaluations, []);
  farm.addJobs(old, [job('left-over')]);
  farm.completeEvaluation(old);
  guix = queries.getSpec(given(projection, farm.events).state, 'guix')!;
  assert.equal(guix.runningEvaluations, []);
  assert.is(guix.latestEvaluation, undefined, "the old evaluation's end is not the new one's");
  assert.equal(queries.jobWeather(given(projection, farm.events).state, 'guix'), []);
});

test('job weather compares the latest completed evaluation with the previous one', () => {
  const farm = new FarmHistory();
  farm.registerSpec('guix');
  const first = farm.evaluate('guix', [job('up'), job('down'), job('good'), job('bad'), job('wait')]);
  farm.scheduleBuilds(first);
  farm.build(drv('up-1.0'), 'failed');
  farm.build(drv('down-1.0'));
  farm.build(drv('good-1.0'));
  farm.build(drv('bad-1.0'), 'failed');
  farm.build(drv('wait-1.0'));
  const second = farm.evaluate('guix', [
    job('up', { version: '2' }),
    job('down', { version: '2' }),
    job('good'),
    job('bad'),
    job('wait', { version: '2' }),
    job('fresh'),
  ]);
  farm.scheduleBuilds(second);
  farm.build(drv('up-2'));
  farm.build(drv('down-2'), 'failed');
  farm.build(drv('fresh-1.0'), { kind: 'timed-out' });
  const weather = queries.jobWeather(given(projection, farm.events).state, 'guix')!;
  assert.equal(
    weather.map((w) => [w.job.split('.')[0], w.weather]),
    [
      ['bad', 'still-failing'],
      ['down', 'new-failure'],
      ['fresh', 'new-failure'],
      ['good', 'still-succeeding'],
      ['up', 'new-success'],
      ['wait', 'pending'],
    ],
  );
  assert.is(weather.find((w) => w.job.startsWith('down'))?.previousStatus, 'succeeded');
  assert.is(weather.find((w) => w.job.startsWith('fresh'))?.previousStatus, undefined);
});

test('a restarted failure that now succeeds is still succeeding, as the evaluation before it succeeded', () => {
  const farm = new FarmHistory();
  farm.registerSpec('guix');
  farm.scheduleBuilds(farm.evaluate('guix', [job('flaky', { version: '1' })]));
  farm.build(drv('flaky-1'));
  farm.scheduleBuilds(farm.evaluate('guix', [job('flaky', { version: '2' })]));
  farm.build(drv('flaky-2'), 'failed');
  let [flaky] = queries.jobWeather(given(projection, farm.events).state, 'guix')!;
  assert.is(flaky?.weather, 'new-failure');
  farm.restart(drv('flaky-2'));
  [flaky] = queries.jobWeather(given(projection, farm.events).state, 'guix')!;
  assert.is(flaky?.weather, 'pending');
  farm.build(drv('flaky-2'));
  [flaky] = queries.jobWeather(given(projection, farm.events).state, 'guix')!;
  assert.is(flaky?.weather, 'still-succeeding');
});

test('a derivation shared by two specifications gives both the same result', () => {
  const farm = new FarmHistory();
  farm.registerSpec('a');
  farm.registerSpec('b');
  farm.scheduleBuilds(farm.evaluate('a', [job('hello')]));
  farm.scheduleBuilds(farm.evaluate('b', [job('hello')]));
  farm.build(drv('hello-1.0'), 'failed');
  const { state } = given(projection, farm.events);
  for (const spec of ['a', 'b']) {
    assert.is(queries.jobWeather(state, spec)?.[0]?.weather, 'new-failure');
    assert.is(queries.getSpec(state, spec)?.latestEvaluation?.counts.failed, 1);
  }
});

test('each branch of a pattern channel has its weather from its own evaluations, not the other branch', () => {
  const { farm, a, b } = twoBranches();
  farm.scheduleBuilds(farm.evaluate('guix', [job('x', { version: '1' })], { checkouts: a }));
  farm.build(drv('x-1'), 'failed');
  farm.scheduleBuilds(farm.evaluate('guix', [job('x', { version: '2' })], { checkouts: b }));
  farm.build(drv('x-2'));
  const a2 = farm.evaluate('guix', [job('x', { version: '3' })], { checkouts: a });
  farm.scheduleBuilds(a2);
  farm.build(drv('x-3'), 'failed');
  const b2 = farm.evaluate('guix', [job('x', { version: '2' })], { checkouts: b });
  farm.scheduleBuilds(b2);
  const running = farm.requestEvaluation('guix', { checkouts: a });
  const { state } = given(projection, farm.events);
  const x = 'x.x86_64-linux';
  assert.equal(weatherOf(state, 'wip:wip-a'), [[x, 'still-failing', 'failed']], 'wip-b succeeded in between');
  assert.equal(
    weatherOf(state, 'wip:wip-b'),
    [[x, 'still-succeeding', 'succeeded']],
    'wip-a failed in between',
  );
  assert.equal(weatherOf(state), weatherOf(state, 'wip:wip-b'), "the specification's is its latest line's");
  assert.is(queries.jobWeather(state, 'guix', 'wip:wip-c'), undefined);
  const guix = queries.getSpec(state, 'guix')!;
  assert.is(guix.latestEvaluation?.id, b2);
  assert.is(guix.lastEvaluation?.id, running);
  assert.equal(
    guix.lines.map((line) => [line.id, line.branches, line.latestEvaluation?.id, line.runningEvaluations]),
    [
      ['wip:wip-a', { wip: 'wip-a' }, a2, [running]],
      ['wip:wip-b', { wip: 'wip-b' }, b2, []],
    ],
  );
  assert.equal(guix.lines[0]?.latestEvaluation?.counts, { ...noJobs, failed: 1 });
  assert.is(guix.lines[0]?.lastEvaluation?.id, running);
  assert.is(guix.lines[1]?.lastEvaluation?.status, 'completed');
});

test("a deleted branch's line leaves the view, and the latest of the other lines stands for the specification", () => {
  const { farm, a, b } = twoBranches();
  const a1 = farm.evaluate('guix', [job('x', { version: '1' })], { checkouts: a });
  farm.evaluate('guix', [job('x', { version: '2' })], { checkouts: b });
  const late = farm.requestEvaluation('guix', { checkouts: b });
  farm.startEvaluation(late);
  farm.deleteBranch('guix', 'wip', 'wip-b');
  let state = given(projection, farm.events).state;
  let guix = queries.getSpec(state, 'guix')!;
  assert.equal(
    guix.lines.map((line) => line.id),
    ['wip:wip-a'],
  );
  assert.is(guix.latestEvaluation?.id, a1);
  assert.equal(weatherOf(state), weatherOf(state, 'wip:wip-a'));
  assert.is(queries.jobWeather(state, 'guix', 'wip:wip-b'), undefined);
  farm.addJobs(late, [job('x', { version: '3' })]);
  farm.completeEvaluation(late);
  state = given(projection, farm.events).state;
  guix = queries.getSpec(state, 'guix')!;
  assert.equal(
    guix.lines.map((line) => line.id),
    ['wip:wip-a'],
    'an evaluation of the deleted branch that ends later does not bring it back',
  );
  assert.is(guix.latestEvaluation?.id, a1);
});

test('a specification whose channels follow one branch each is one line', () => {
  const farm = new FarmHistory();
  farm.registerSpec('guix');
  farm.evaluate('guix', [job('hello')]);
  farm.detectCheckout('guix');
  const second = farm.evaluate('guix', [job('hello')]);
  const guix = queries.getSpec(given(projection, farm.events).state, 'guix')!;
  assert.equal(
    guix.lines.map((line) => [line.id, line.branches, line.latestEvaluation?.id]),
    [['', {}, second]],
  );
});

test.run();
