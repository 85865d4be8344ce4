import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { withTimeout } from '../helpers/uvu.ts';
import { type ApiFixture, startApiFixture } from './api-fixture.ts';
import { drv, evaluationWithJobs, failBuild, type Json, queueBuild, streamOf } from './command-seed.ts';

interface Context {
  api: ApiFixture;
}

const post = (
  api: ApiFixture,
  url: string,
  options: { token?: string | null; headers?: Record<string, string>; body?: Json } = {},
) => {
  const token = options.token === undefined ? api.token : options.token;
  return api.app.inject({
    method: 'POST',
    url,
    headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...options.headers },
    ...(options.body ? { payload: options.body } : {}),
  });
};

const builds = suite<Context>('build commands (POST /api/builds/:id/restart|cancel)');
builds.before(async (context) => {
  context.api = await startApiFixture();
});
builds.after(async (context) => {
  await context.api.stop();
});

builds(
  'cancels a queued build as user:alice, then restarts it, each with the revision as ETag',
  withTimeout(15_000, async ({ api }) => {
    const hash = await queueBuild(api.store, drv('a'));
    const cancelled = await post(api, `/api/builds/${hash}/cancel`, { body: { why: 'not needed' } });
    assert.is(cancelled.statusCode, 200, cancelled.body);
    assert.is(cancelled.headers.etag, '"1"');
    const restarted = await post(api, `/api/builds/${hash}/restart`, { headers: { 'if-match': '"1"' } });
    assert.is(restarted.statusCode, 200, restarted.body);
    assert.equal((restarted.json() as Json).events, ['BuildRestarted']);
    const [, cancel, restart] = await streamOf(api.store, `build-${hash}`);
    assert.is(cancel!.type, 'BuildCancelled');
    assert.equal(cancel!.data, { drvPath: drv('a'), by: 'user:alice', why: 'not needed' });
    assert.is(restart!.metadata.actor, 'user:alice');
    assert.is(restart!.metadata.causationId, restarted.headers['x-request-id']);
  }),
);

builds(
  'refuses what the domain refuses (409), stale If-Match (409), unknown builds (404) and missing tokens, writing nothing',
  withTimeout(15_000, async ({ api }) => {
    const hash = await queueBuild(api.store, drv('b'));
    const notFinished = await post(api, `/api/builds/${hash}/restart`);
    assert.is(notFinished.statusCode, 409);
    assert.is((notFinished.json() as Json).code, 'TALLY_BUILD_NOT_FINISHED');
    const stale = await post(api, `/api/builds/${hash}/cancel`, { headers: { 'if-match': '5' } });
    assert.is(stale.statusCode, 409);
    assert.is((stale.json() as Json).code, 'TALLY_EVENTSTORE_WRONG_EXPECTED_REVISION');
    const unknown = await post(api, `/api/builds/${'z'.repeat(32)}/cancel`);
    assert.is(unknown.statusCode, 404);
    assert.is((unknown.json() as Json).code, 'TALLY_BUILD_NOT_FOUND');
    assert.is((await post(api, `/api/builds/${hash}/cancel`, { token: null })).statusCode, 401);
    assert.is((await post(api, `/api/builds/${hash}/cancel`, { token: 'wrong' })).statusCode, 403);
    assert.is((await streamOf(api.store, `build-${hash}`)).length, 1);
  }),
);

builds(
  'lets one of two concurrent cancels of a build win',
  withTimeout(15_000, async ({ api }) => {
    const hash = await queueBuild(api.store, drv('c'));
    const both = await Promise.all([
      post(api, `/api/builds/${hash}/cancel`),
      post(api, `/api/builds/${hash}/cancel`),
    ]);
    assert.equal(both.map((response) => response.statusCode).sort(), [200, 409]);
    assert.is((await streamOf(api.store, `build-${hash}`)).length, 2);
  }),
);

builds.run();

const evaluations = suite<Context>('evaluation commands (POST /api/evaluations/:id/cancel|restart-failed)');
evaluations.before(async (context) => {
  context.api = await startApiFixture();
});
evaluations.after(async (context) => {
  await context.api.stop();
});

evaluations(
  'restarts every failed build of an evaluation and only those, once each, reporting how many',
  withTimeout(15_000, async ({ api }) => {
    const paths = [drv('f', 'one'), drv('g', 'two'), drv('h', 'three')];
    for (const path of paths) await queueBuild(api.store, path);
    await failBuild(api.store, paths[0]!);
    await failBuild(api.store, paths[2]!);
    await evaluationWithJobs(api.store, 'e-restart', paths);
    const response = await post(api, '/api/evaluations/e-restart/restart-failed');
    assert.is(response.statusCode, 200, response.body);
    const body = response.json() as { restarted: number; builds: { id: string }[]; position: number };
    assert.is(body.restarted, 2);
    assert.equal(body.builds.map((build) => build.id).sort(), ['f'.repeat(32), 'h'.repeat(32)]);
    assert.is(Number(response.headers['x-tally-position']), body.position);
    const last = await streamOf(api.store, `build-${'f'.repeat(32)}`);
    assert.is(last.at(-1)!.type, 'BuildRestarted');
    assert.is(last.at(-1)!.metadata.actor, 'user:alice');
    assert.is((await streamOf(api.store, `build-${'g'.repeat(32)}`)).length, 1);
    const again = await post(api, '/api/evaluations/e-restart/restart-failed');
    assert.is((again.json() as Json).restarted, 0, 'nothing failed any more');
  }),
);

evaluations(
  'cancels a running evaluation once; a second cancel is 409 and an unknown one 404',
  withTimeout(15_000, async ({ api }) => {
    await evaluationWithJobs(api.store, 'e-cancel', []);
    const response = await post(api, '/api/evaluations/e-cancel/cancel', { headers: { 'if-match': '1' } });
    assert.is(response.statusCode, 200, response.body);
    const aborted = (await streamOf(api.store, 'eval-e-cancel')).at(-1)!;
    assert.is(aborted.type, 'EvaluationAborted');
    assert.equal(aborted.data, {
      evaluationId: 'e-cancel',
      by: 'user:alice',
      why: 'cancelled by user:alice',
    });
    const twice = await post(api, '/api/evaluations/e-cancel/cancel');
    assert.is(twice.statusCode, 409);
    assert.is((twice.json() as Json).code, 'TALLY_EVALUATION_ALREADY_FINISHED');
    for (const action of ['cancel', 'restart-failed']) {
      const unknown = await post(api, `/api/evaluations/nope/${action}`);
      assert.is(unknown.statusCode, 404, unknown.body);
      assert.is((unknown.json() as Json).code, 'TALLY_EVALUATION_NOT_FOUND');
    }
    assert.equal(await streamOf(api.store, 'eval-nope'), []);
  }),
);

evaluations.run();
