/**
 * A write whose read models do not catch up in time: it is recorded, so the answer is the write's
 * success with a header saying a read right after may not show it, never a 503 that invites sending
 * the write again.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { withTimeout } from '../helpers/uvu.ts';
import { type ApiFixture, type Json, startApiFixture } from './api-fixture.ts';

const test = suite<{ api: ApiFixture }>('writes while the read models are behind');
test.before(async (context) => {
  context.api = await startApiFixture({ readModels: true });
});
test.after(async ({ api }) => api.stop());

const send = (api: ApiFixture, url: string, payload?: Json) =>
  api.app.inject({
    method: 'POST',
    url,
    headers: { authorization: `Bearer ${api.token}` },
    ...(payload === undefined ? {} : { payload }),
  });

test(
  'answers a recorded write with its success and x-tally-read-models-behind when they are late',
  withTimeout(20_000, async ({ api }) => {
    const spec = {
      name: 'late',
      channels: [{ name: 'main', url: 'https://example.org/late.git', branch: 'main' }],
      evaluator: { kind: 'native', entry: 'tally.jobs.json' },
      systems: ['x86_64-linux'],
    };
    const registered = await send(api, '/api/specs', spec);
    assert.is(registered.statusCode, 201, registered.body);
    assert.is(registered.headers['x-tally-read-models-behind'], undefined);

    // The read models stop following the store: the next write cannot be seen by them in time.
    await api.runner!.stop();
    const deactivated = await send(api, '/api/specs/late/deactivate');
    assert.is(deactivated.statusCode, 200, deactivated.body);
    assert.is(deactivated.headers['x-tally-read-models-behind'], '1');
    const body = deactivated.json() as Json;
    assert.equal(body.events, ['SpecificationDeactivated']);
    assert.is(Number(deactivated.headers['x-tally-position']), body.position);
    const recorded = [];
    for await (const event of api.store.readStream('spec-late')) recorded.push(event.type);
    assert.equal(recorded, ['SpecificationRegistered', 'SpecificationDeactivated']);
  }),
);

test.run();
