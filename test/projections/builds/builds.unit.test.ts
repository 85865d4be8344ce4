import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { builds } from '../../../projections/builds/index.ts';
import { drv, FarmHistory, given, job, outPath } from '../fixtures/farm-history.ts';

const { projection, queries } = builds;
const test = suite('builds read model');

function farmWithEvaluation(jobs = [job('hello'), job('coreutils')]) {
  const farm = new FarmHistory();
  farm.registerSpec('guix');
  const evaluationId = farm.evaluate('guix', jobs);
  farm.scheduleBuilds(evaluationId);
  return { farm, evaluationId };
}

test('numbers builds from 1 in the order they were queued, reachable by id, hash and path', () => {
  const { farm } = farmWithEvaluation();
  const { state } = given(projection, farm.events);
  const hello = queries.getBuild(state, 1)!;
  assert.is(hello.drvPath, drv('hello-1.0'));
  assert.is(queries.getBuild(state, '2')?.drvPath, drv('coreutils-1.0'));
  assert.is(queries.getBuild(state, hello.hash)?.id, 1);
  assert.is(queries.getBuild(state, drv('hello-1.0'))?.id, 1);
  assert.is(queries.getBuild(state, 3), undefined);
  assert.is(hello.status, 'queued');
  assert.equal(hello.wantedBy, [{ spec: 'guix', job: 'hello.x86_64-linux', evaluation: 'guix-00001' }]);
});

test('follows an attempt from dispatch to success, with its log, times and outputs', () => {
  const { farm } = farmWithEvaluation();
  farm.build(drv('hello-1.0'), 'succeeded', 'w7');
  const { state } = given(projection, farm.events);
  const hello = queries.getBuild(state, 1)!;
  assert.is(hello.status, 'succeeded');
  assert.equal(hello.outputs, { out: outPath('hello-1.0') });
  assert.is(hello.attempts.length, 1);
  const [attempt] = hello.attempts;
  assert.is(attempt?.worker, 'w7');
  assert.is(attempt?.result, 'succeeded');
  assert.ok(attempt?.logRef?.startsWith('sha256:'));
  assert.ok(attempt?.startedAt && attempt.finishedAt && attempt.dispatchedAt <= attempt.startedAt);
  const json = queries.toHydraJson(hello);
  assert.is(json.buildstatus, 0);
  assert.is(json.finished, 1);
  assert.is(json.job, 'hello.x86_64-linux');
  assert.is(json.derivation, drv('hello-1.0'));
  assert.is(json.nixname, 'hello-1.0');
  assert.equal(json.buildoutputs, { out: { path: outPath('hello-1.0') } });
  assert.ok(json.stoptime! - json.starttime! >= 60, 'from the start of the attempt to its end');
});

test('a failed build restarted and rebuilt keeps both attempts and ends succeeded', () => {
  const { farm } = farmWithEvaluation();
  farm.build(drv('hello-1.0'), 'failed');
  const failed = given(projection, farm.events).state;
  assert.is(queries.toHydraJson(queries.getBuild(failed, 1)!).buildstatus, 1);
  farm.restart(drv('hello-1.0'), 'flaky test');
  const restarted = queries.getBuild(given(projection, farm.events).state, 1)!;
  assert.is(restarted.status, 'queued');
  assert.is(restarted.failure, undefined);
  assert.is(queries.toHydraJson(restarted).buildstatus, null);
  assert.is(queries.toHydraJson(restarted).finished, 0);
  farm.build(drv('hello-1.0'), 'succeeded', 'w2');
  const rebuilt = queries.getBuild(given(projection, farm.events).state, 1)!;
  assert.is(rebuilt.restarts, 1);
  assert.equal(
    rebuilt.attempts.map((a) => [a.number, a.result]),
    [
      [1, 'failed'],
      [2, 'succeeded'],
    ],
  );
});

test('maps failure reasons to Hydra build status codes', () => {
  const { farm } = farmWithEvaluation([job('a'), job('b'), job('c'), job('d'), job('e'), job('f')]);
  farm.build(drv('a-1.0'), { kind: 'signal', signal: 'SIGSEGV' });
  farm.failDependency(drv('b-1.0'), drv('a-1.0'));
  farm.build(drv('c-1.0'), { kind: 'timed-out' });
  farm.build(drv('d-1.0'), { kind: 'infrastructure', detail: 'disk full' });
  farm.cancel(drv('e-1.0'));
  farm.substitute(drv('f-1.0'));
  const { state } = given(projection, farm.events);
  const codes = [1, 2, 3, 4, 5, 6].map((id) => queries.toHydraJson(queries.getBuild(state, id)!).buildstatus);
  assert.equal(codes, [1, 2, 7, 3, 4, 0]);
  assert.equal(queries.getBuild(state, 2)?.failure, { kind: 'dependency-failed', root: drv('a-1.0') });
  assert.is(queries.toHydraJson(queries.getBuild(state, 6)!).iscachedbuild, 1);
});

test('a requeued attempt is closed and a late result from it is recorded, not applied', () => {
  const { farm } = farmWithEvaluation();
  const first = farm.dispatch(drv('hello-1.0'), 'w1');
  farm.startBuild(drv('hello-1.0'));
  farm.requeue(drv('hello-1.0'), 'worker-lost');
  farm.ignoreResult(drv('hello-1.0'), first, 'succeeded');
  const { state } = given(projection, farm.events);
  const hello = queries.getBuild(state, 1)!;
  assert.is(hello.status, 'queued');
  assert.is(hello.attempts[0]?.result, 'requeued');
  assert.equal(hello.attempts[0]?.lateResults, ['succeeded']);
});

test('two specifications sharing a derivation share one build that both want', () => {
  const farm = new FarmHistory();
  farm.registerSpec('guix');
  farm.registerSpec('guix-staging');
  farm.scheduleBuilds(farm.evaluate('guix', [job('hello')]));
  farm.scheduleBuilds(farm.evaluate('guix-staging', [job('hello'), job('gcc', { version: '14' })]));
  const { state } = given(projection, farm.events);
  assert.is(state.lastId, 2);
  const hello = queries.getBuild(state, drv('hello-1.0'))!;
  assert.equal(
    hello.wantedBy.map((w) => w.spec),
    ['guix', 'guix-staging'],
  );
  assert.equal(queries.toHydraJson(hello).jobsetevals, ['guix-00001', 'guix-staging-00002']);
  assert.equal(
    queries.searchBuilds(state, { spec: 'guix-staging' }).builds.map((b) => b.id),
    [2, 1],
  );
});

test('searches by job, system, status and spec, newest first, page by page', () => {
  const farm = new FarmHistory();
  farm.registerSpec('guix');
  for (let version = 1; version <= 5; version++) {
    const evaluation = farm.evaluate('guix', [
      job('hello', { version: String(version) }),
      job('hello', { version: String(version), system: 'aarch64-linux' }),
    ]);
    farm.scheduleBuilds(evaluation);
    farm.build(drv(`hello-${version}`), version % 2 === 0 ? 'failed' : 'succeeded');
  }
  const { state } = given(projection, farm.events);
  const page1 = queries.searchBuilds(state, { job: 'hello.x86_64-linux', limit: 2 });
  assert.equal(
    page1.builds.map((b) => b.id),
    [9, 7],
  );
  const page2 = queries.searchBuilds(state, {
    job: 'hello.x86_64-linux',
    limit: 2,
    cursor: page1.nextCursor!,
  });
  assert.equal(
    page2.builds.map((b) => b.id),
    [5, 3],
  );
  const page3 = queries.searchBuilds(state, {
    job: 'hello.x86_64-linux',
    limit: 2,
    cursor: page2.nextCursor!,
  });
  assert.equal(
    page3.builds.map((b) => b.id),
    [1],
  );
  assert.is(page3.nextCursor, undefined);
  assert.equal(
    queries.searchBuilds(state, { status: 'failed' }).builds.map((b) => b.id),
    [7, 3],
  );
  assert.is(queries.searchBuilds(state, { system: 'aarch64-linux' }).builds.length, 5);
  assert.is(queries.searchBuilds(state, { spec: 'other' }).builds.length, 0);
});

test('ignores events of builds it never saw queued, returning the same state', () => {
  const farm = new FarmHistory();
  farm.queueBuild(drv('x-1'));
  const [queued] = farm.events;
  const unknown = {
    ...queued!,
    event: { type: 'BuildRestarted', data: { drvPath: drv('y-1'), by: 'system' } },
  } as const;
  const state = projection.evolve(projection.initialState, unknown);
  assert.is(state, projection.initialState);
});

test.run();
