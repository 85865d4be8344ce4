import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { evaluations } from '../../../projections/evaluations/index.ts';
import { noJobs } from '../../../projections/evaluations/state.ts';
import { drv, FarmHistory, given, job } from '../fixtures/farm-history.ts';

const { projection, queries } = evaluations;
const test = suite('evaluations read model');

test('follows an evaluation from request to completion with its checkouts and timings', () => {
  const farm = new FarmHistory();
  farm.registerSpec('guix');
  const checkout = farm.detectCheckout('guix');
  const id = farm.requestEvaluation('guix', { trigger: { kind: 'manual', by: 'user:alice' } });
  const requested = given(projection, farm.events).state;
  assert.is(queries.getEvaluation(requested, id)?.status, 'requested');
  farm.tick(10);
  farm.startEvaluation(id);
  farm.tick(20);
  farm.addJobs(id, [job('hello'), job('coreutils')]);
  farm.completeEvaluation(id);
  const { state } = given(projection, farm.events);
  const evaluation = queries.getEvaluation(state, id)!;
  assert.is(evaluation.status, 'completed');
  assert.equal(evaluation.trigger, { kind: 'manual', by: 'user:alice' });
  assert.equal(evaluation.checkouts, [checkout]);
  assert.ok(evaluation.requestedAt < evaluation.startedAt! && evaluation.startedAt! < evaluation.finishedAt!);
  assert.is(evaluation.durationMs, 22_000);
  assert.is(evaluation.jobCount, 2);
  assert.equal(
    evaluation.counts,
    { ...noJobs, unscheduled: 2 },
    'no build is queued before the scheduler runs',
  );
  assert.not.ok('jobs' in evaluation, 'summaries leave the jobs out');
});

test('failed and aborted evaluations keep how they ended', () => {
  const farm = new FarmHistory();
  farm.registerSpec('guix');
  const failed = farm.requestEvaluation('guix');
  farm.startEvaluation(failed);
  farm.failEvaluation(failed, 'timed-out');
  const aborted = farm.requestEvaluation('guix');
  farm.abortEvaluation(aborted, 'shutdown');
  const { state } = given(projection, farm.events);
  const f = queries.getEvaluation(state, failed)!;
  assert.is(f.status, 'failed');
  assert.is(f.end?.kind === 'failed' && f.end.reason, 'timed-out');
  assert.ok(f.durationMs !== undefined);
  const a = queries.getEvaluation(state, aborted)!;
  assert.equal(a.end, { kind: 'aborted', by: 'user:alice', why: 'shutdown' });
  assert.is(a.durationMs, undefined, 'never started');
});

test('the jobs of an evaluation that failed are unscheduled, unless another evaluation builds them', () => {
  const farm = new FarmHistory();
  farm.registerSpec('guix');
  farm.registerSpec('guix-staging');
  const failed = farm.requestEvaluation('guix');
  farm.startEvaluation(failed);
  farm.addJobs(failed, [job('hello'), job('gcc')]);
  farm.failEvaluation(failed, 'timed-out');
  let state = given(projection, farm.events).state;
  assert.equal(queries.getEvaluation(state, failed)?.counts, { ...noJobs, unscheduled: 2 });
  assert.equal(
    queries.evaluationJobs(state, failed, { status: 'unscheduled' })?.jobs.map((each) => each.name),
    ['gcc.x86_64-linux', 'hello.x86_64-linux'],
  );
  assert.equal(queries.evaluationJobs(state, failed, { status: 'queued' })?.jobs, []);

  // The same derivation wanted by a completed evaluation: its build is the failed one's job's too.
  farm.scheduleBuilds(farm.evaluate('guix-staging', [job('hello')]));
  state = given(projection, farm.events).state;
  assert.equal(queries.getEvaluation(state, failed)?.counts, { ...noJobs, unscheduled: 1, queued: 1 });
});

test('counts jobs by build status as builds progress, including a restart', () => {
  const farm = new FarmHistory();
  farm.registerSpec('guix');
  const id = farm.evaluate('guix', [job('a'), job('b'), job('c'), job('d')]);
  farm.scheduleBuilds(id);
  farm.build(drv('a-1.0'), 'succeeded');
  farm.build(drv('b-1.0'), 'failed');
  farm.failDependency(drv('c-1.0'), drv('b-1.0'));
  farm.dispatch(drv('d-1.0'));
  farm.startBuild(drv('d-1.0'));
  let state = given(projection, farm.events).state;
  assert.equal(queries.getEvaluation(state, id)?.counts, { ...noJobs, succeeded: 1, failed: 2, building: 1 });
  farm.restart(drv('b-1.0'));
  state = given(projection, farm.events).state;
  assert.equal(queries.getEvaluation(state, id)?.counts, {
    ...noJobs,
    succeeded: 1,
    failed: 1,
    building: 1,
    queued: 1,
  });
  assert.equal(queries.evaluationJobs(state, id, { status: 'failed' })?.jobs, [
    { name: 'c.x86_64-linux', drvPath: drv('c-1.0'), status: 'failed' },
  ]);
});

test('a job whose derivation was built before its evaluation starts with that status', () => {
  const farm = new FarmHistory();
  farm.registerSpec('guix');
  farm.registerSpec('guix-staging');
  farm.scheduleBuilds(farm.evaluate('guix', [job('hello')]));
  farm.build(drv('hello-1.0'));
  const staging = farm.evaluate('guix-staging', [job('hello'), job('gcc')]);
  farm.scheduleBuilds(staging);
  const { state } = given(projection, farm.events);
  assert.equal(queries.getEvaluation(state, staging)?.counts, { ...noJobs, succeeded: 1, queued: 1 });
  assert.is(
    queries.getEvaluation(state, 'guix-00001')?.counts.succeeded,
    1,
    'both evaluations see the build',
  );
});

test('starts a removed and registered again specification with no evaluations, keeping the old by id', () => {
  const farm = new FarmHistory();
  farm.registerSpec('guix');
  const old = farm.evaluate('guix', [job('hello')]);
  farm.removeSpec('guix');
  farm.registerSpec('guix');
  const { state } = given(projection, farm.events);
  assert.equal(queries.listEvaluations(state, 'guix', { limit: 10 }).evaluations, []);
  assert.is(queries.latestJob(state, 'guix', 'hello.x86_64-linux'), undefined);
  assert.is(queries.getEvaluation(state, old)?.status, 'completed');
  const fresh = farm.evaluate('guix', [job('hello')]);
  const after = given(projection, farm.events).state;
  assert.equal(
    queries.listEvaluations(after, 'guix', { limit: 10 }).evaluations.map((evaluation) => evaluation.id),
    [fresh],
  );
});

test('lists a specification evaluations newest first, page by page', () => {
  const farm = new FarmHistory();
  farm.registerSpec('guix');
  farm.registerSpec('other');
  const ids = [1, 2, 3, 4, 5].map((n) => farm.evaluate('guix', [job('hello', { version: String(n) })]));
  farm.evaluate('other', [job('hello')]);
  const { state } = given(projection, farm.events);
  const first = queries.listEvaluations(state, 'guix', { limit: 2 });
  assert.equal(
    first.evaluations.map((e) => e.id),
    [ids[4], ids[3]],
  );
  const second = queries.listEvaluations(state, 'guix', { limit: 2, before: first.nextCursor! });
  assert.equal(
    second.evaluations.map((e) => e.id),
    [ids[2], ids[1]],
  );
  const third = queries.listEvaluations(state, 'guix', { limit: 2, before: second.nextCursor! });
  assert.equal(
    third.evaluations.map((e) => e.id),
    [ids[0]],
  );
  assert.is(third.nextCursor, undefined);
  assert.equal(queries.listEvaluations(state, 'nobody').evaluations, []);
});

test('pages through an evaluation jobs by name, jobs added over several chunks', () => {
  const farm = new FarmHistory({ chunkBytes: 600 });
  farm.registerSpec('guix');
  const jobs = Array.from({ length: 12 }, (_, n) => job(`pkg${String(n).padStart(2, '0')}`));
  const id = farm.evaluate('guix', jobs);
  assert.ok(farm.events.filter((e) => e.event.type === 'EvaluationJobsAdded').length > 1, 'several chunks');
  const { state } = given(projection, farm.events);
  const names: string[] = [];
  let cursor: string | undefined;
  do {
    const page = queries.evaluationJobs(state, id, { limit: 5, ...(cursor ? { cursor } : {}) })!;
    names.push(...page.jobs.map((j) => j.name));
    cursor = page.nextCursor;
  } while (cursor);
  assert.equal(
    names,
    jobs.map((j) => j.name),
  );
  assert.is(queries.getEvaluation(state, id)?.jobCount, 12);
  assert.is(queries.evaluationJobs(state, 'nope'), undefined);
});

test('the latest job is the one of the newest completed evaluation that has it', () => {
  const farm = new FarmHistory();
  farm.registerSpec('guix');
  const first = farm.evaluate('guix', [job('hello', { version: '1' }), job('gone')]);
  farm.scheduleBuilds(first);
  farm.build(drv('hello-1'));
  const second = farm.evaluate('guix', [job('hello', { version: '2' })]);
  const pending = farm.requestEvaluation('guix');
  farm.startEvaluation(pending);
  farm.addJobs(pending, [job('hello', { version: '3' })]);
  const { state } = given(projection, farm.events);
  assert.equal(queries.latestJob(state, 'guix', 'hello.x86_64-linux'), {
    name: 'hello.x86_64-linux',
    drvPath: drv('hello-2'),
    status: 'unscheduled',
    evaluationId: second,
    evaluationStatus: 'completed',
  });
  assert.is(queries.latestJob(state, 'guix', 'gone.x86_64-linux')?.evaluationId, first);
  assert.is(queries.latestJob(state, 'guix', 'never.x86_64-linux'), undefined);
});

test.run();
