import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { streams } from '../../domain/shared/streams.ts';
import { withTimeout } from '../helpers/uvu.ts';
import { drv, FarmHistory, job } from '../projections/fixtures/farm-history.ts';
import type { Json } from './api-fixture.ts';
import { type ReadFixture, startReadFixture, workerJoins } from './read-fixture.ts';

interface Context {
  api: ReadFixture;
  /** `$all` positions of the farm's events, in order. */
  positions: number[];
}

/** A farm with one worker and one evaluation of three jobs: hello built, zlib failed, curl queued. */
function farmHistory(): FarmHistory {
  const farm = new FarmHistory();
  for (const event of workerJoins('w1')) farm.record(streams.worker('w1'), event);
  farm.registerSpec('guix');
  const evaluation = farm.evaluate('guix', [job('hello'), job('zlib'), job('curl')]);
  farm.scheduleBuilds(evaluation);
  farm.build(drv('hello-1.0'), 'succeeded');
  farm.build(drv('zlib-1.0'), 'failed');
  return farm;
}

const test = suite<Context>('queue, workers and metrics read routes');
test.before(async (context) => {
  context.api = await startReadFixture();
  context.positions = await context.api.append(farmHistory().events);
});
test.after(async ({ api }) => api.stop());

const get = async (api: ReadFixture, url: string) => {
  const response = await api.app.inject({ method: 'GET', url });
  return { status: response.statusCode, body: response.json() as Json, headers: response.headers };
};

test(
  'answers the queue with one runnable build left and pages one system',
  withTimeout(10_000, async ({ api, positions }) => {
    const { status, body, headers } = await get(api, '/api/queue?system=x86_64-linux&limit=10');
    assert.is(status, 200);
    assert.is(body.runnable, 1);
    assert.equal(
      (body.items as Json[]).map((item) => item.drvPath),
      [drv('curl-1.0')],
    );
    assert.is(Number(headers['x-tally-position']), positions[positions.length - 1]);
  }),
);

test(
  'answers the queue as of an earlier position by replaying up to it',
  withTimeout(10_000, async ({ api, positions }) => {
    // At the first event (the worker's registration) nothing was queued yet.
    const { body: now } = await get(api, '/api/queue');
    const { status, body: before, headers } = await get(api, `/api/queue?at=${positions[0]}`);
    assert.is(status, 200);
    assert.is(before.runnable, 0);
    assert.is(Number(headers['x-tally-position']), positions[0]);
    assert.is(now.runnable, 1);
  }),
);

test(
  'refuses a position beyond the head and an absurd page size with 400',
  withTimeout(10_000, async ({ api, positions }) => {
    const beyond = await get(api, `/api/queue?at=${positions[positions.length - 1]! + 1_000_000}`);
    assert.is(beyond.status, 400);
    assert.is(beyond.body.code, 'TALLY_API_INVALID_REQUEST');
    assert.is(beyond.body.field, 'querystring.at');
    const absurd = await get(api, '/api/queue?system=x86_64-linux&limit=100000');
    assert.is(absurd.status, 400);
    const badCursor = await get(api, '/api/queue?system=x86_64-linux&cursor=nonsense');
    assert.is(badCursor.status, 400);
  }),
);

test(
  'lists the worker and answers 404 with a code for an unknown one',
  withTimeout(10_000, async ({ api }) => {
    const { body } = await get(api, '/api/workers');
    const [worker] = body.workers as Json[];
    assert.is(worker?.name, 'w1');
    assert.is(worker?.status, 'connected');
    const one = await get(api, '/api/workers/w1');
    assert.is(one.status, 200);
    const unknown = await get(api, '/api/workers/nobody');
    assert.is(unknown.status, 404);
    assert.is(unknown.body.code, 'TALLY_WORKER_NOT_FOUND');
  }),
);

test(
  'answers the metrics as JSON and feeds them to Prometheus',
  withTimeout(10_000, async ({ api }) => {
    const { status, body } = await get(api, '/api/metrics?days=2');
    assert.is(status, 200);
    assert.is((body.days as Json[]).length, 2);
    const totals = body.totals as { finished: Record<string, number> };
    assert.is(totals.finished.succeeded, 1);
    assert.is(totals.finished.failed, 1);
    const scrape = await api.app.inject({ method: 'GET', url: '/metrics' });
    assert.match(scrape.body, /tally_builds_total\{outcome="succeeded"\} 1/);
    assert.match(scrape.body, /tally_queue_length 1/);
  }),
);

test.run();
