import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { withTimeout } from '../helpers/uvu.ts';
import { type ApiFixture, startApiFixture } from './api-fixture.ts';
import { connectWorker, type Json, registerWorker, streamOf } from './command-seed.ts';

interface Context {
  api: ApiFixture;
}

const send = (
  api: ApiFixture,
  method: 'POST' | 'DELETE',
  url: string,
  token: string | null = api.token,
  headers = {},
) =>
  api.app.inject({
    method,
    url,
    headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...headers },
  });

const test = suite<Context>(
  'worker commands (POST /api/workers/:name/drain|resume, DELETE /api/workers/:name)',
);
test.before(async (context) => {
  context.api = await startApiFixture();
});
test.after(async (context) => {
  await context.api.stop();
});

test(
  'drains, resumes, drains again and removes a worker as user:alice',
  withTimeout(15_000, async ({ api }) => {
    await registerWorker(api.store, 'w1');
    const drained = await send(api, 'POST', '/api/workers/w1/drain');
    assert.is(drained.statusCode, 200, drained.body);
    assert.is(drained.headers.etag, '"1"');
    const resumed = await send(api, 'POST', '/api/workers/w1/resume', api.token, { 'if-match': '"1"' });
    assert.is(resumed.statusCode, 200, resumed.body);
    assert.is(resumed.headers.etag, '"2"');
    assert.is((await send(api, 'POST', '/api/workers/w1/drain')).statusCode, 200);
    const removed = await send(api, 'DELETE', '/api/workers/w1', api.token, { 'if-match': '"3"' });
    assert.is(removed.statusCode, 200, removed.body);
    const events = await streamOf(api.store, 'worker-w1');
    assert.equal(
      events.map((event) => [event.type, event.metadata.actor]),
      [
        ['WorkerRegistered', 'worker:w1'],
        ['WorkerDrained', 'user:alice'],
        ['WorkerResumed', 'user:alice'],
        ['WorkerDrained', 'user:alice'],
        ['WorkerRemoved', 'user:alice'],
      ],
    );
  }),
);

test(
  'answers 404 for unknown workers, 409 for a stale If-Match or a connected worker, 401/403 without a good token, writing nothing',
  withTimeout(15_000, async ({ api }) => {
    await registerWorker(api.store, 'w2');
    for (const url of ['/api/workers/ghost/drain', '/api/workers/ghost/resume']) {
      const unknown = await send(api, 'POST', url);
      assert.is(unknown.statusCode, 404, url);
      assert.is((unknown.json() as Json).code, 'TALLY_WORKER_NOT_FOUND', url);
    }
    assert.is((await send(api, 'POST', '/api/workers/w2/resume', null)).statusCode, 401);
    const stale = await send(api, 'DELETE', '/api/workers/w2', api.token, { 'if-match': '3' });
    assert.is(stale.statusCode, 409);
    assert.is((await send(api, 'DELETE', '/api/workers/w2', null)).statusCode, 401);
    assert.is((await send(api, 'DELETE', '/api/workers/w2', 'bad')).statusCode, 403);
    assert.is((await streamOf(api.store, 'worker-w2')).length, 1);
    assert.equal(await streamOf(api.store, 'worker-ghost'), []);
    // Connected, a worker is drained, not removed: it would go on building, shown as gone.
    await connectWorker(api.store, 'w2');
    const connected = await send(api, 'DELETE', '/api/workers/w2');
    assert.is(connected.statusCode, 409, connected.body);
    assert.is((connected.json() as Json).code, 'TALLY_WORKER_CONNECTED');
    assert.match((connected.json() as Json).detail as string, /drain it/);
    assert.is((await streamOf(api.store, 'worker-w2')).length, 2);
  }),
);

test.run();
