/**
 * Events the domain cannot read, appended to a real ledger beside valid ones: the read models skip
 * them, and /healthz and /metrics count them, while everything else is still served.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { withTimeout } from '../helpers/uvu.ts';
import { drv, FarmHistory, job } from '../projections/fixtures/farm-history.ts';
import { type ReadFixture, startReadFixture } from './read-fixture.ts';

const test = suite<{ api: ReadFixture }>('skipped events as the API reports them');
test.before(async (context) => {
  context.api = await startReadFixture();
});
test.after(async (context) => {
  await context.api.stop();
});

test(
  'counts an event of an unknown type and a malformed one in /healthz and /metrics, and serves the rest',
  withTimeout(20_000, async ({ api }) => {
    const farm = new FarmHistory();
    farm.registerSpec('guix');
    farm.scheduleBuilds(farm.evaluate('guix', [job('hello')]));
    farm.build(drv('hello-1.0'));
    await api.append(farm.events);
    await api.store.append('build-elsewhere', [{ type: 'BuildExploded', data: { how: 'loudly' } }], 'any');
    const last = await api.store.append(
      'build-elsewhere',
      [{ type: 'BuildQueued', data: { drvPath: 7 } }],
      'any',
    );
    await api.runner.waitFor(last.position, 10_000);

    const health = (await api.app.inject({ url: '/healthz' })).json();
    assert.is(health.projections.skippedEvents, 2);
    const metrics = await api.app.inject({ url: '/metrics' });
    assert.match(metrics.body, /^tally_projection_skipped_events 2$/m);
    const build = await api.app.inject({ url: '/api/builds/1' });
    assert.is(build.statusCode, 200);
    assert.is(build.json().drvPath, drv('hello-1.0'), 'the valid history is served as before');
    assert.equal(api.runner.skipped.byReason, { 'unknown-type': 1, malformed: 1 });
  }),
);

test.run();
