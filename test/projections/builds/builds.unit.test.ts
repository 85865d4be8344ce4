import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { syntheticFarm } from '../../../ops/bench/core/synthetic-farm.ts';
import { builds } from '../../../projections/builds/index.ts';
import { drv, FarmHistory, given, job, outPath } from '../fixtures/farm-history.ts';

const { projection, queries } = builds;
const test = suite('builds read model');

/** The fields Hydra's and Cuirass's clients read, beside Tally's document. */
const hydraFields = [
  'job',
  'jobset',
  'derivation',
  'nixname',
  'buildstatus',
  'finished',
  'iscachedbuild',
  'timestamp',
  'starttime',
  'stoptime',
  'buildoutputs',
  'jobsetevals',
];

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
  const seconds = (time: string | undefined) => Math.floor(Date.parse(time!) / 1000);
  assert.is(json.id, 1);
  assert.is(json.buildstatus, 0);
  assert.is(json.finished, 1);
  assert.is(json.iscachedbuild, 0);
  assert.is(json.job, 'hello.x86_64-linux');
  assert.is(json.jobset, 'guix');
  assert.is(json.system, 'x86_64-linux');
  assert.is(json.priority, hello.priority);
  assert.is(json.derivation, drv('hello-1.0'));
  assert.is(json.nixname, 'hello-1.0');
  assert.equal(json.buildoutputs, { out: { path: outPath('hello-1.0') } });
  assert.equal(json.jobsetevals, ['guix-00001']);
  assert.is(json.timestamp, seconds(hello.queuedAt));
  assert.is(json.starttime, seconds(attempt?.startedAt));
  assert.is(json.stoptime, seconds(hello.finishedAt));
  assert.ok(json.stoptime! - json.starttime! >= 60, 'from the start of the attempt to its end');
});

test('a queued build has no Hydra status, start or stop time, nor outputs', () => {
  const { farm } = farmWithEvaluation();
  farm.dispatch(drv('hello-1.0'), 'w1');
  const json = queries.toHydraJson(queries.getBuild(given(projection, farm.events).state, 1)!);
  assert.is(json.status, 'dispatched');
  assert.is(json.buildstatus, null);
  assert.is(json.finished, 0);
  assert.is(json.starttime, null, 'dispatched, not started');
  assert.is(json.stoptime, null);
  assert.equal(json.buildoutputs, {});
  assert.ok(json.timestamp > 1_700_000_000, `${json.timestamp} is Unix seconds`);
});

test('a substituted build starts and stops when it was substituted', () => {
  const { farm } = farmWithEvaluation();
  farm.substitute(drv('hello-1.0'));
  const hello = queries.getBuild(given(projection, farm.events).state, 1)!;
  const json = queries.toHydraJson(hello);
  assert.is(json.iscachedbuild, 1);
  assert.is(json.finished, 1);
  assert.is(json.starttime, Math.floor(Date.parse(hello.finishedAt!) / 1000));
  assert.is(json.stoptime, json.starttime);
  assert.equal(json.buildoutputs, { out: { path: outPath('hello-1.0') } });
});

/** Builds in every status, with every optional field of the document set on some of them. */
function buildsOfEveryKind() {
  const jobs = ['ok', 'failing', 'cancelled', 'cached', 'queued', 'running', 'flaky'].map((name) =>
    job(name),
  );
  const { farm } = farmWithEvaluation(jobs);
  farm.build(drv('ok-1.0'), 'succeeded');
  farm.dispatch(drv('failing-1.0'), 'w1');
  farm.startBuild(drv('failing-1.0'));
  farm.fail(drv('failing-1.0'), { kind: 'exit-code', exitCode: 2 }, 'make: *** [all] Error 2');
  farm.cancel(drv('cancelled-1.0'), 'not needed');
  farm.substitute(drv('cached-1.0'));
  farm.dispatch(drv('running-1.0'), 'w2');
  farm.startBuild(drv('running-1.0'));
  farm.build(drv('flaky-1.0'), 'failed');
  farm.restart(drv('flaky-1.0'), 'flaky');
  const many = syntheticFarm({
    specs: 4,
    evaluationsPerSpec: 12,
    jobsPerEvaluation: 20,
    churn: 0.4,
    seed: 3,
  });
  return [given(projection, farm.events).state, given(projection, many.events).state].flatMap((state) =>
    Array.from({ length: state.lastId }, (_, index) => queries.getBuild(state, index + 1)!),
  );
}

test("carries every field of Tally's document, as it is, beside Hydra's", () => {
  const seen = new Set<string>();
  for (const build of buildsOfEveryKind()) {
    const json = queries.toHydraJson(build);
    for (const [field, value] of Object.entries(build)) {
      seen.add(field);
      assert.is(json[field as keyof typeof json], value, field);
    }
    const sent = JSON.parse(JSON.stringify(json));
    assert.equal(
      hydraFields.filter((field) => !(field in sent)),
      [],
      'every Hydra field, null when it has no value',
    );
    assert.equal(
      Object.keys(sent).filter((field) => !(field in build) && !hydraFields.includes(field)),
      [],
      "no field beyond the document's and Hydra's",
    );
  }
  for (const field of [
    'finishedAt',
    'outputs',
    'substitutedFrom',
    'failure',
    'failureMessage',
    'cancelledBy',
  ])
    assert.ok(seen.has(field), `some build has ${field}`);
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

test('a search by spec and job together finds builds that job of that spec wants, not of another', () => {
  const farm = new FarmHistory();
  farm.registerSpec('guix');
  farm.registerSpec('staging');
  farm.scheduleBuilds(farm.evaluate('guix', [job('hello')]));
  // The same derivation under another job name in another specification (an alias).
  farm.scheduleBuilds(farm.evaluate('staging', [{ ...job('hello'), name: 'greeting.x86_64-linux' }]));
  const { state } = given(projection, farm.events);
  const ids = (filters: { spec: string; job: string }) =>
    queries.searchBuilds(state, filters).builds.map((b) => b.id);
  assert.equal(ids({ spec: 'guix', job: 'hello.x86_64-linux' }), [1]);
  assert.equal(ids({ spec: 'staging', job: 'greeting.x86_64-linux' }), [1]);
  assert.equal(ids({ spec: 'staging', job: 'hello.x86_64-linux' }), []);
  assert.equal(ids({ spec: 'guix', job: 'greeting.x86_64-linux' }), []);
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
