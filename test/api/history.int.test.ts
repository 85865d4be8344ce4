import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { withTimeout } from '../helpers/uvu.ts';
import { type ApiFixture, type Json, startApiFixture } from './api-fixture.ts';

interface Context {
  api: ApiFixture;
}

const test = suite<Context>('an aggregate history (GET /api/history/:category/:id)');
test.before(async (context) => {
  context.api = await startApiFixture();
  const events = Array.from({ length: 7 }, (_, n) => ({
    type: n === 0 ? 'BuildQueued' : 'BuildLogged',
    data: { n },
    metadata: { actor: 'user:alice' },
  }));
  await context.api.store.append('build-abc', events, 'no_stream');
  await context.api.store.append('build-gone', [{ type: 'BuildQueued', data: {} }], 'no_stream');
  await context.api.ledger.client.tombstoneStream('build-gone');
});
test.after(async (context) => {
  await context.api.stop();
});

async function page(api: ApiFixture, query: string) {
  const response = await api.app.inject({ url: `/api/history/build/abc${query}` });
  assert.is(response.statusCode, 200, response.body);
  return response.json() as { stream: string; events: Json[]; next: number | null; direction: string };
}

test(
  'pages forwards by revision, each event with type, data, metadata, revision, position and time',
  withTimeout(10_000, async ({ api }) => {
    const first = await page(api, '?limit=3');
    assert.is(first.stream, 'build-abc');
    assert.equal(
      first.events.map((event) => event.revision),
      [0, 1, 2],
    );
    const [queued] = first.events;
    assert.is(queued!.type, 'BuildQueued');
    assert.equal(queued!.data, { n: 0 });
    assert.equal(queued!.metadata, { actor: 'user:alice' });
    assert.type(queued!.position, 'number');
    assert.ok(!Number.isNaN(Date.parse(String(queued!.recorded))));
    assert.is(first.next, 3);
    const second = await page(api, `?limit=3&from=${first.next}`);
    assert.equal(
      second.events.map((event) => event.revision),
      [3, 4, 5],
    );
    const last = await page(api, `?limit=3&from=${second.next}`);
    assert.equal(
      last.events.map((event) => event.revision),
      [6],
    );
    assert.is(last.next, null);
  }),
);

test(
  'pages backwards from the newest event',
  withTimeout(10_000, async ({ api }) => {
    const newest = await page(api, '?direction=backwards&limit=4');
    assert.is(newest.direction, 'backwards');
    assert.equal(
      newest.events.map((event) => event.revision),
      [6, 5, 4, 3],
    );
    const older = await page(api, `?direction=backwards&limit=4&from=${newest.next}`);
    assert.equal(
      older.events.map((event) => event.revision),
      [2, 1, 0],
    );
    assert.is(older.next, null);
  }),
);

test(
  'answers an empty page past the end of a stream that exists',
  withTimeout(10_000, async ({ api }) => {
    const beyond = await page(api, '?from=100');
    assert.equal(beyond.events, []);
    assert.is(beyond.next, null);
  }),
);

test(
  'answers 404 TALLY_API_STREAM_NOT_FOUND for a stream without events, and 410 for a deleted one',
  withTimeout(10_000, async ({ api }) => {
    const missing = await api.app.inject({ url: '/api/history/eval/never-written' });
    assert.is(missing.statusCode, 404);
    assert.match(String(missing.headers['content-type']), /^application\/problem\+json/);
    assert.is(missing.json().code, 'TALLY_API_STREAM_NOT_FOUND');
    assert.match(missing.json().detail, /eval-never-written/);
    const deleted = await api.app.inject({ url: '/api/history/build/gone' });
    assert.is(deleted.statusCode, 410);
    assert.is(deleted.json().code, 'TALLY_EVENTSTORE_STREAM_DELETED');
  }),
);

test(
  'refuses unknown categories and absurd paging with 400 naming the field',
  withTimeout(10_000, async ({ api }) => {
    const cases = [
      ['/api/history/pizza/abc', 'params.category', /spec, checkout, eval, build, worker, gc, notification/],
      ['/api/history/build/abc?limit=0', 'querystring.limit', />= 1/],
      ['/api/history/build/abc?limit=1000000', 'querystring.limit', /<= 1000/],
      ['/api/history/build/abc?from=-1', 'querystring.from', />= 0/],
      ['/api/history/build/abc?from=1e300', 'querystring.from', /<= 9007199254740991|integer/],
      ['/api/history/build/abc?from=later', 'querystring.from', /integer/],
      ['/api/history/build/abc?direction=sideways', 'querystring.direction', /forwards, backwards/],
    ] as const;
    for (const [url, field, detail] of cases) {
      const response = await api.app.inject({ url });
      assert.is(response.statusCode, 400, url);
      const problem = response.json();
      assert.is(problem.code, 'TALLY_API_INVALID_REQUEST', url);
      assert.is(problem.field, field, url);
      assert.match(problem.detail, detail, url);
    }
  }),
);

test.run();
