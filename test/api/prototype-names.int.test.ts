/**
 * Names a user chooses that are also members every JavaScript object inherits (`constructor`,
 * `toString`…): a spec so named is served like any other, and one never registered is unknown.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { withTimeout } from '../helpers/uvu.ts';
import { FarmHistory, job } from '../projections/fixtures/farm-history.ts';
import { type ReadFixture, startReadFixture } from './read-fixture.ts';

const test = suite<{ api: ReadFixture }>('spec names that are also inherited members');
test.before(async (context) => {
  context.api = await startReadFixture();
});
test.after(async (context) => {
  await context.api.stop();
});

test(
  'serves a spec named constructor, its evaluation and its job, and skips nothing',
  withTimeout(20_000, async ({ api }) => {
    const farm = new FarmHistory();
    farm.registerSpec('constructor');
    const evaluation = farm.evaluate('constructor', [job('hello')]);
    farm.scheduleBuilds(evaluation);
    await api.append(farm.events);

    const spec = await api.app.inject({ url: '/api/specs/constructor' });
    assert.is(spec.statusCode, 200, spec.body);
    assert.is(spec.json().spec.name, 'constructor');
    const evaluations = await api.app.inject({ url: '/api/specs/constructor/evaluations' });
    assert.equal(
      evaluations.json().evaluations.map((each: { id: string }) => each.id),
      [evaluation],
    );
    assert.is((await api.app.inject({ url: `/api/evaluations/${evaluation}` })).statusCode, 200);
    const latest = await api.app.inject({ url: '/api/jobs/constructor/hello.x86_64-linux/latest' });
    assert.is(latest.statusCode, 200, latest.body);
    assert.is(api.runner.skipped.count, 0);
  }),
);

test(
  'answers an inherited member that was never registered as an unknown spec',
  withTimeout(10_000, async ({ api }) => {
    for (const url of [
      '/api/specs/toString',
      '/api/specs/valueOf/evaluations',
      '/api/specs/hasOwnProperty/evaluations?before=x',
      '/api/jobs/toString/hello/latest',
    ]) {
      const response = await api.app.inject({ url });
      assert.is(response.statusCode, 404, url);
      assert.is(response.json().code, 'TALLY_SPEC_NOT_FOUND', url);
    }
  }),
);

test.run();
