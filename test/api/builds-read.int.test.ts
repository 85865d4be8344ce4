import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { withTimeout } from '../helpers/uvu.ts';
import { drv, FarmHistory, job, outPath } from '../projections/fixtures/farm-history.ts';
import type { Json } from './api-fixture.ts';
import { type ReadFixture, startReadFixture } from './read-fixture.ts';

interface Context {
  api: ReadFixture;
  farm: FarmHistory;
  positions: number[];
  first: string;
  second: string;
}

const [hello, zlib] = [drv('hello-1.0'), drv('zlib-1.0')];

/** Two evaluations of guix: hello succeeds twice; zlib fails, then (a new version) succeeds; curl stays queued. */
function farmHistory() {
  const farm = new FarmHistory();
  farm.registerSpec('guix');
  farm.registerSpec('idle');
  const first = farm.evaluate('guix', [job('hello'), job('zlib'), job('curl')]);
  farm.scheduleBuilds(first);
  farm.build(hello, 'succeeded');
  farm.build(zlib, 'failed');
  farm.detectCheckout('guix');
  const second = farm.evaluate('guix', [job('hello'), job('zlib', { version: '1.1' }), job('curl')]);
  farm.scheduleBuilds(second);
  farm.build(drv('zlib-1.1'), 'succeeded');
  // Wanted by no job: ended without any attempt, once from a cache and once cancelled.
  farm.queueBuild(drv('wget-1.0'));
  farm.substitute(drv('wget-1.0'));
  farm.queueBuild(drv('lynx-1.0'));
  farm.cancel(drv('lynx-1.0'));
  return { farm, first, second };
}

const test = suite<Context>('specs, evaluations, builds and diff read routes');
test.before(async (context) => {
  const { farm, first, second } = farmHistory();
  context.api = await startReadFixture();
  context.farm = farm;
  context.positions = await context.api.append(farm.events);
  context.first = first;
  context.second = second;
});
test.after(async ({ api }) => api.stop());

const get = async (api: ReadFixture, url: string) => {
  const response = await api.app.inject({ method: 'GET', url });
  return { status: response.statusCode, body: response.json() as Json };
};

test(
  'lists specifications and answers one with the weather of its jobs',
  withTimeout(10_000, async ({ api, second }) => {
    const { body } = await get(api, '/api/specs');
    assert.equal(
      (body.specs as Json[]).map((spec) => spec.name),
      ['guix', 'idle'],
    );
    const guix = await get(api, '/api/specs/guix');
    assert.is(guix.status, 200);
    assert.is(((guix.body.spec as Json).latestEvaluation as Json).id, second);
    const weather = Object.fromEntries((guix.body.jobs as Json[]).map((j) => [j.job, j.weather]));
    assert.is(weather['zlib.x86_64-linux'], 'new-success');
    assert.is(weather['hello.x86_64-linux'], 'still-succeeding');
    const unknown = await get(api, '/api/specs/nope');
    assert.is(unknown.status, 404);
    assert.is(unknown.body.code, 'TALLY_SPEC_NOT_FOUND');
  }),
);

test(
  "pages a specification's evaluations newest first, and an idle one has none",
  withTimeout(10_000, async ({ api, first, second }) => {
    const page = await get(api, '/api/specs/guix/evaluations?limit=1');
    assert.equal(
      (page.body.evaluations as Json[]).map((e) => e.id),
      [second],
    );
    const next = await get(api, `/api/specs/guix/evaluations?limit=1&before=${page.body.nextCursor}`);
    assert.equal(
      (next.body.evaluations as Json[]).map((e) => e.id),
      [first],
    );
    assert.equal((await get(api, '/api/specs/idle/evaluations')).body, { evaluations: [] });
    assert.is((await get(api, '/api/specs/guix/evaluations?limit=0')).status, 400);
  }),
);

test(
  'answers an evaluation, its jobs by status, and 404 for an unknown one',
  withTimeout(10_000, async ({ api, first }) => {
    const evaluation = await get(api, `/api/evaluations/${first}`);
    assert.is(evaluation.body.status, 'completed');
    assert.is(evaluation.body.jobCount, 3);
    const failed = await get(api, `/api/evaluations/${first}/jobs?status=failed`);
    assert.equal(failed.body.jobs, [{ name: 'zlib.x86_64-linux', drvPath: zlib, status: 'failed' }]);
    const unknown = await get(api, '/api/evaluations/nope/jobs');
    assert.is(unknown.status, 404);
    assert.is(unknown.body.code, 'TALLY_EVALUATION_NOT_FOUND');
    assert.is((await get(api, `/api/evaluations/${first}/jobs?limit=99999`)).status, 400);
  }),
);

test(
  'compares the two evaluations job by job',
  withTimeout(10_000, async ({ api, first, second }) => {
    const { status, body } = await get(api, `/api/diff?from=${first}&to=${second}`);
    assert.is(status, 200);
    const jobs = body.jobs as Record<string, Json[]>;
    assert.equal(
      jobs['newly-succeeding']?.map((entry) => entry.job),
      ['zlib.x86_64-linux'],
    );
    assert.equal(
      jobs.unfinished?.map((entry) => entry.job),
      ['curl.x86_64-linux'],
    );
    const unknown = await get(api, `/api/diff?from=${first}&to=nope`);
    assert.is(unknown.body.code, 'TALLY_EVALUATION_NOT_FOUND');
  }),
);

test(
  'answers builds with Hydra fields, searches them, and the latest job',
  withTimeout(10_000, async ({ api, second }) => {
    const build = await get(api, '/api/builds/1');
    assert.is(build.status, 200);
    assert.is(build.body.drvPath, hello);
    assert.is(build.body.buildstatus, 0);
    assert.is(build.body.finished, 1);
    assert.is(build.body.nixname, 'hello-1.0');
    const byPath = await get(api, `/api/builds/${encodeURIComponent(zlib)}`);
    assert.is(byPath.body.status, 'failed');
    assert.is(byPath.body.buildstatus, 1);
    const failed = await get(api, '/api/builds?status=failed&spec=guix');
    assert.equal(
      (failed.body.builds as Json[]).map((b) => b.drvPath),
      [zlib],
    );
    const missing = await get(api, '/api/builds/99999');
    assert.is(missing.status, 404);
    assert.is(missing.body.code, 'TALLY_BUILD_NOT_FOUND');
    assert.is((await get(api, '/api/builds?limit=5000')).status, 400);
    const latest = await get(api, '/api/jobs/guix/zlib.x86_64-linux/latest');
    assert.is(latest.body.evaluationId, second);
    assert.is(latest.body.status, 'succeeded');
    assert.is((await get(api, '/api/jobs/guix/nope/latest')).status, 404);
    // A specification registered but never evaluated exists; it has no such job yet.
    assert.is(
      (await get(api, '/api/jobs/idle/hello.x86_64-linux/latest')).body.code,
      'TALLY_EVALUATION_NOT_FOUND',
    );
    assert.is(
      (await get(api, '/api/jobs/ghost/hello.x86_64-linux/latest')).body.code,
      'TALLY_SPEC_NOT_FOUND',
    );
  }),
);

test(
  "sends every field Hydra's and Cuirass's clients read, and no empty field of Tally's",
  withTimeout(10_000, async ({ api, second }) => {
    const { body } = await get(api, '/api/builds/1');
    assert.equal(
      {
        id: body.id,
        job: body.job,
        jobset: body.jobset,
        system: body.system,
        derivation: body.derivation,
        buildstatus: body.buildstatus,
        finished: body.finished,
        iscachedbuild: body.iscachedbuild,
        priority: body.priority,
        buildoutputs: body.buildoutputs,
        jobsetevals: body.jobsetevals,
      },
      {
        id: 1,
        job: 'hello.x86_64-linux',
        jobset: 'guix',
        system: 'x86_64-linux',
        derivation: hello,
        buildstatus: 0,
        finished: 1,
        iscachedbuild: 0,
        priority: 0,
        buildoutputs: { out: { path: outPath('hello-1.0') } },
        jobsetevals: [second],
      },
    );
    const [start, stop, queued] = [body.starttime, body.stoptime, body.timestamp] as number[];
    assert.ok(
      queued! <= start! && start! + 60 <= stop!,
      `queued ${queued}, started ${start}, stopped ${stop}`,
    );
    assert.is(stop, Math.floor(Date.parse(body.finishedAt as string) / 1000));
    for (const empty of ['failure', 'failureMessage', 'cancelledBy', 'substitutedFrom'])
      assert.not.ok(empty in body, `${empty} is left out`);
    const queuedBuild = await get(api, '/api/builds/3');
    assert.is(queuedBuild.body.status, 'queued');
    assert.equal(
      [
        queuedBuild.body.buildstatus,
        queuedBuild.body.finished,
        queuedBuild.body.starttime,
        queuedBuild.body.stoptime,
      ],
      [null, 0, null, null],
    );
    assert.not.ok('finishedAt' in queuedBuild.body || 'outputs' in queuedBuild.body);
  }),
);

test(
  "answers a build's log request with a code saying no log store serves it",
  withTimeout(10_000, async ({ api }) => {
    const log = await get(api, '/api/builds/1/log');
    assert.is(log.status, 404);
    assert.is(log.body.code, 'TALLY_API_LOG_NOT_STORED');
    assert.match(String(log.body.detail), /no log store/);
    assert.is((await get(api, '/api/builds/1/log?attempt=7')).body.code, 'TALLY_API_LOG_NOT_STORED');
    // A build no worker took says why it has no log: not yet taken, or ended without any attempt.
    const said = async (path: string) =>
      String((await get(api, `/api/builds/${encodeURIComponent(path)}/log`)).body.detail);
    assert.match(await said(drv('curl-1.0')), /not been attempted yet/);
    assert.match(
      await said(drv('wget-1.0')),
      /ended substituted without any attempt \(its outputs came from a cache\)/,
    );
    assert.match(await said(drv('lynx-1.0')), /ended cancelled without any attempt/);
  }),
);

test(
  'answers as of an earlier position: before the second evaluation zlib still failed',
  withTimeout(20_000, async ({ api, positions, first }) => {
    const now = await get(api, '/api/jobs/guix/zlib.x86_64-linux/latest');
    assert.is(now.body.status, 'succeeded');
    const buildOne = await get(api, '/api/builds?status=failed');
    assert.is((buildOne.body.builds as Json[]).length, 1);
    // Half-way through the history the first evaluation was the latest completed one.
    const at = positions[Math.floor(positions.length / 2)];
    const then = await get(api, `/api/jobs/guix/zlib.x86_64-linux/latest?at=${at}`);
    assert.is(then.status, 200);
    assert.is(then.body.evaluationId, first);
    assert.is((await get(api, `/api/specs?at=${positions[0]}`)).status, 200);
  }),
);

test(
  "a build's JSON follows each change of the build, and a page sends what the build's own route sends",
  withTimeout(20_000, async ({ api, farm }) => {
    const curl = drv('curl-1.0');
    const before = await get(api, '/api/builds/3');
    assert.is(before.body.drvPath, curl);
    assert.is(before.body.status, 'queued');
    const listed = async () =>
      ((await get(api, '/api/builds?limit=1000')).body.builds as Json[]).find((b) => b.id === 3);
    assert.equal(await listed(), before.body);

    const appended = farm.events.length;
    farm.dispatch(curl, 'w7');
    const positions = await api.append(farm.events.slice(appended));
    const after = await get(api, '/api/builds/3');
    assert.is(after.body.status, 'dispatched');
    assert.equal(
      (after.body.attempts as Json[]).map((attempt) => attempt.worker),
      ['w7'],
    );
    assert.equal(await listed(), after.body);
    // The state before the dispatch still has the earlier record, and its text.
    const earlier = await get(api, `/api/builds/3?at=${positions[0]! - 1}`);
    assert.equal(earlier.body, before.body);
  }),
);

test.run();
