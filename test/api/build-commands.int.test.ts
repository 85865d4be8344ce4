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

/** The `$all` position of the last event in the store, to show that a refused request wrote nothing. */
async function head(api: ApiFixture): Promise<number> {
  for await (const event of api.store.readAll({ direction: 'backwards', limit: 1 })) return event.position;
  return -1;
}

const builds = suite<Context>('build commands (POST /api/builds/:id/restart|cancel)');
builds.before(async (context) => {
  context.api = await startApiFixture({ readModels: true });
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
  'names a build by its integer id or its .drv path, as GET /api/builds/:id does',
  withTimeout(15_000, async ({ api }) => {
    const hash = await queueBuild(api.store, drv('k'));
    await api.caughtUp();
    const { id } = (await api.app.inject({ url: `/api/builds/${hash}` })).json() as { id: number };
    assert.type(id, 'number');
    const cancelled = await post(api, `/api/builds/${id}/cancel`, { headers: { 'if-match': '0' } });
    assert.is(cancelled.statusCode, 200, cancelled.body);
    assert.is((cancelled.json() as Json).stream, `build-${hash}`);
    const restarted = await post(api, `/api/builds/${encodeURIComponent(drv('k'))}/restart`, {
      headers: { 'if-match': '"1"' },
    });
    assert.is(restarted.statusCode, 200, restarted.body);
    assert.equal(
      (await streamOf(api.store, `build-${hash}`)).map((event) => event.type),
      ['BuildQueued', 'BuildCancelled', 'BuildRestarted'],
    );
    const shown = (await api.app.inject({ url: `/api/builds/${id}` })).json() as Json;
    assert.equal([shown.status, shown.restarts], ['queued', 1], 'the read model saw both writes');
  }),
);

builds(
  'answers 404 TALLY_BUILD_NOT_FOUND for an id, path or text that names no build, writing nothing',
  withTimeout(15_000, async ({ api }) => {
    await queueBuild(api.store, drv('l'));
    await api.caughtUp();
    const before = await head(api);
    for (const id of ['99999', encodeURIComponent(drv('x')), 'not-a-build', '0']) {
      const response = await post(api, `/api/builds/${id}/cancel`);
      assert.is(response.statusCode, 404, `${id}: ${response.body}`);
      const problem = response.json() as Json;
      assert.is(problem.code, 'TALLY_BUILD_NOT_FOUND', id);
      assert.match(String(problem.detail), /names no build|has the id|was queued/);
    }
    assert.is(await head(api), before);
  }),
);

builds(
  'refuses a malformed If-Match with 400 before writing anything',
  withTimeout(15_000, async ({ api }) => {
    const hash = await queueBuild(api.store, drv('p'));
    for (const ifMatch of ['abc', '"0', 'W/0', '*', '-1', '0, 1']) {
      const response = await post(api, `/api/builds/${hash}/cancel`, { headers: { 'if-match': ifMatch } });
      assert.is(response.statusCode, 400, `If-Match ${ifMatch}: ${response.body}`);
      const problem = response.json() as Json;
      assert.is(problem.code, 'TALLY_API_INVALID_REQUEST');
      assert.is(problem.field, 'headers.if-match');
      assert.match(String(problem.detail), /ETag of an earlier answer/);
    }
    assert.is((await streamOf(api.store, `build-${hash}`)).length, 1);
    const weak = await post(api, `/api/builds/${hash}/cancel`, { headers: { 'if-match': 'W/"0"' } });
    assert.is(weak.statusCode, 200, weak.body);
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
    // Neither named a revision: the loser is decided again on the cancelled build and refused by the domain.
    const loser = both.find((response) => response.statusCode === 409)!;
    assert.is((loser.json() as Json).code, 'TALLY_BUILD_ALREADY_FINISHED');
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
  'refuses If-Match on restart-failed, which writes each build at the revision it read, restarting nothing',
  withTimeout(15_000, async ({ api }) => {
    await queueBuild(api.store, drv('n'));
    await failBuild(api.store, drv('n'));
    await evaluationWithJobs(api.store, 'e-if-match', [drv('n')]);
    for (const ifMatch of ['"2"', 'abc']) {
      const response = await post(api, '/api/evaluations/e-if-match/restart-failed', {
        headers: { 'if-match': ifMatch },
      });
      assert.is(response.statusCode, 400, response.body);
      const problem = response.json() as Json;
      assert.is(problem.code, 'TALLY_API_INVALID_REQUEST');
      assert.is(problem.field, 'headers.if-match');
    }
    assert.is((await streamOf(api.store, `build-${'n'.repeat(32)}`)).length, 2);
    const restarted = await post(api, '/api/evaluations/e-if-match/restart-failed');
    assert.is((restarted.json() as Json).restarted, 1);
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
