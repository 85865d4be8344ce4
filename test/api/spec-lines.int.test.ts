import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { withTimeout } from '../helpers/uvu.ts';
import { drv, job } from '../projections/fixtures/farm-history.ts';
import { patternFarm } from '../projections/fixtures/pattern-farm.ts';
import type { Json } from './api-fixture.ts';
import { type ReadFixture, startReadFixture } from './read-fixture.ts';

interface Context {
  api: ReadFixture;
  a2: string;
  b2: string;
}

/**
 * guix follows every `wip-*` branch: x fails twice on wip-a and succeeds twice on wip-b, the two
 * branches evaluated in turn.
 */
function farmHistory() {
  const { farm, on } = patternFarm();
  const a = on('wip-a');
  const b = on('wip-b');
  const evaluate = (checkouts: typeof a, version: string, outcome?: 'failed') => {
    const id = farm.evaluate('guix', [job('x', { version })], { checkouts });
    if (farm.scheduleBuilds(id).length > 0) farm.build(drv(`x-${version}`), outcome ?? 'succeeded');
    return id;
  };
  evaluate(a, '1', 'failed');
  evaluate(b, '2');
  const a2 = evaluate(a, '3', 'failed');
  const b2 = evaluate(b, '2');
  return { farm, a2, b2 };
}

const test = suite<Context>('the lines of a specification following a branch pattern');
test.before(async (context) => {
  const { farm, a2, b2 } = farmHistory();
  context.api = await startReadFixture();
  await context.api.append(farm.events);
  context.a2 = a2;
  context.b2 = b2;
});
test.after(async ({ api }) => api.stop());

const get = async (api: ReadFixture, url: string) => {
  const response = await api.app.inject({ method: 'GET', url });
  return { status: response.statusCode, body: response.json() as Json };
};

const weatherOf = (body: Json) => (body.jobs as Json[]).map((each) => [each.job, each.weather]);

test(
  "answers each branch's latest evaluation, and the weather compared within the branch",
  withTimeout(10_000, async ({ api, a2, b2 }) => {
    const guix = await get(api, '/api/specs/guix');
    assert.is(guix.status, 200);
    const spec = guix.body.spec as Json;
    assert.is((spec.latestEvaluation as Json).id, b2);
    assert.equal(
      (spec.lines as Json[]).map((line) => [line.id, line.branches, (line.latestEvaluation as Json).id]),
      [
        ['wip:wip-a', { wip: 'wip-a' }, a2],
        ['wip:wip-b', { wip: 'wip-b' }, b2],
      ],
    );
    assert.equal(weatherOf(guix.body), [['x.x86_64-linux', 'still-succeeding']], 'wip-a failed in between');
    const wipA = await get(api, `/api/specs/guix?line=${encodeURIComponent('wip:wip-a')}`);
    assert.equal(weatherOf(wipA.body), [['x.x86_64-linux', 'still-failing']], 'wip-b succeeded in between');
    const listed = await get(api, '/api/specs');
    assert.equal(
      (listed.body.specs as Json[]).map((each) => (each.lines as Json[]).map((line) => line.id)),
      [['wip:wip-a', 'wip:wip-b']],
    );
  }),
);

test(
  'answers 404 for a line the specification does not have',
  withTimeout(10_000, async ({ api }) => {
    const unknown = await get(api, '/api/specs/guix?line=wip:wip-c');
    assert.is(unknown.status, 404);
    assert.is(unknown.body.code, 'TALLY_LINE_NOT_FOUND');
  }),
);

test.run();
