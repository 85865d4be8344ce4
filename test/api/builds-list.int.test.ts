/**
 * `GET /api/builds` over HTTP (`inject` runs Fastify's serializer, so a field missing from the response
 * schema would be missing here): Hydra's fields on every item, the `job` and `system` filters, cursor
 * paging, and absurd cursors.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { withTimeout } from '../helpers/uvu.ts';
import { drv, FarmHistory, job } from '../projections/fixtures/farm-history.ts';
import type { Json } from './api-fixture.ts';
import { type ReadFixture, startReadFixture } from './read-fixture.ts';

interface Context {
  api: ReadFixture;
}

const arm = { system: 'aarch64-linux' };

/**
 * Builds 1-5 from the first evaluation (hello and zlib on both systems, curl), 6-8 from the second
 * (hello 1.1 on both, curl 1.1; zlib is unchanged), 9 from the third (hello 1.2 on x86_64 alone).
 */
function farmHistory() {
  const farm = new FarmHistory();
  farm.registerSpec('guix');
  const first = farm.evaluate('guix', [
    job('hello'),
    job('hello', arm),
    job('zlib'),
    job('zlib', arm),
    job('curl'),
  ]);
  farm.scheduleBuilds(first);
  farm.build(drv('hello-1.0'), 'succeeded');
  farm.build(drv('zlib-1.0', 'aarch64-linux'), 'failed');
  farm.detectCheckout('guix');
  const second = farm.evaluate('guix', [
    job('hello', { version: '1.1' }),
    job('hello', { ...arm, version: '1.1' }),
    job('zlib'),
    job('curl', { version: '1.1' }),
  ]);
  farm.scheduleBuilds(second);
  farm.detectCheckout('guix');
  farm.scheduleBuilds(farm.evaluate('guix', [job('hello', { version: '1.2' })]));
  return farm;
}

const test = suite<Context>('GET /api/builds: Hydra fields, filters and cursor paging');
test.before(async (context) => {
  context.api = await startReadFixture();
  await context.api.append(farmHistory().events);
});
test.after(async ({ api }) => api.stop());

async function get(api: ReadFixture, url: string) {
  const response = await api.app.inject({ method: 'GET', url });
  return {
    status: response.statusCode,
    type: String(response.headers['content-type']),
    body: response.json(),
  };
}

async function page(api: ReadFixture, query: string) {
  const { status, body } = await get(api, `/api/builds?${query}`);
  assert.is(status, 200, JSON.stringify(body));
  return body as { builds: Json[]; nextCursor?: number };
}

const ids = (builds: readonly Json[]) => builds.map((build) => build.id);

test(
  'lists each build exactly as GET /api/builds/:id answers it, Hydra’s fields included',
  withTimeout(10_000, async ({ api }) => {
    const { builds } = await page(api, 'limit=1000');
    assert.equal(ids(builds), [9, 8, 7, 6, 5, 4, 3, 2, 1]);
    for (const build of builds) assert.equal(build, (await get(api, `/api/builds/${build.id}`)).body);
    const hello = builds.find((build) => build.id === 1)!;
    const { starttime, stoptime, ...fields } = hello;
    assert.equal(
      {
        job: fields.job,
        system: fields.system,
        derivation: fields.derivation,
        buildstatus: fields.buildstatus,
        priority: fields.priority,
        finished: fields.finished,
        buildoutputs: Object.keys(fields.buildoutputs as Json),
      },
      {
        job: 'hello.x86_64-linux',
        system: 'x86_64-linux',
        derivation: drv('hello-1.0'),
        buildstatus: 0,
        priority: 0,
        finished: 1,
        buildoutputs: ['out'],
      },
    );
    assert.ok(typeof starttime === 'number' && typeof stoptime === 'number' && starttime <= stoptime);
    const failed = builds.find((build) => build.derivation === drv('zlib-1.0', 'aarch64-linux'))!;
    assert.equal([failed.buildstatus, failed.finished], [1, 1]);
    const queued = builds.find((build) => build.id === 9)!;
    assert.equal(
      [queued.buildstatus, queued.finished, queued.starttime, queued.stoptime],
      [null, 0, null, null],
    );
  }),
);

test(
  'filters by job name and by system, alone and together',
  withTimeout(10_000, async ({ api }) => {
    const hello = await page(api, 'job=hello.x86_64-linux');
    assert.equal(
      hello.builds.map((build) => [build.id, build.derivation]),
      [
        [9, drv('hello-1.2')],
        [6, drv('hello-1.1')],
        [1, drv('hello-1.0')],
      ],
    );
    const arm64 = await page(api, 'system=aarch64-linux');
    assert.equal(ids(arm64.builds), [7, 4, 2]);
    assert.ok(arm64.builds.every((build) => build.system === 'aarch64-linux'));
    assert.equal(ids((await page(api, 'job=hello.aarch64-linux&system=aarch64-linux')).builds), [7, 2]);
    assert.equal((await page(api, 'job=hello.x86_64-linux&system=aarch64-linux')).builds, []);
    assert.equal((await page(api, 'job=nope.x86_64-linux')).builds, []);
  }),
);

test(
  'pages with the cursor: each page goes on below the last, none repeats, the last has no cursor',
  withTimeout(10_000, async ({ api }) => {
    const first = await page(api, 'limit=4');
    assert.equal(ids(first.builds), [9, 8, 7, 6]);
    assert.is(first.nextCursor, 6);
    const second = await page(api, `limit=4&cursor=${first.nextCursor}`);
    assert.equal(ids(second.builds), [5, 4, 3, 2]);
    const third = await page(api, `limit=4&cursor=${second.nextCursor}`);
    assert.equal(ids(third.builds), [1]);
    assert.not.ok('nextCursor' in third, 'the last page has no cursor');
    const walked = [...first.builds, ...second.builds, ...third.builds];
    assert.equal(walked, (await page(api, 'limit=1000')).builds, 'the pages together are the whole list');

    const jobFirst = await page(api, 'job=hello.x86_64-linux&limit=2');
    assert.equal(ids(jobFirst.builds), [9, 6]);
    const jobSecond = await page(api, `job=hello.x86_64-linux&limit=2&cursor=${jobFirst.nextCursor}`);
    assert.equal(ids(jobSecond.builds), [1]);
    assert.is(jobSecond.nextCursor, undefined);
    assert.equal((await page(api, 'cursor=1')).builds, [], 'no build below the first');
  }),
);

test(
  'refuses absurd cursors, page sizes and statuses with 400 naming the field',
  withTimeout(10_000, async ({ api }) => {
    const absurd = ['0', '-1', 'abc', '2.5', '1e400', 'Infinity', '99999999999999999999', ''];
    // Numbers in range, written in forms other than decimal digits, are refused too.
    const oddForms = ['0x10', '%2B5', '1e3', '5.0'];
    for (const [name, value] of [
      ...[...absurd, ...oddForms].map((value) => ['cursor', value] as const),
      ...['0', '-5', '1e400', '1001', ...oddForms].map((value) => ['limit', value] as const),
      // A job's status that no build has: a build is recorded once it is queued.
      ...['unscheduled', 'bogus'].map((value) => ['status', value] as const),
    ]) {
      const { status, type, body } = await get(api, `/api/builds?${name}=${value}`);
      assert.is(status, 400, `${name}=${value}: ${JSON.stringify(body).slice(0, 200)}`);
      assert.match(type, /^application\/problem\+json/);
      assert.is(body.code, 'TALLY_API_INVALID_REQUEST', `${name}=${value}`);
      assert.is(body.field, `querystring.${name}`, `${name}=${value}`);
    }
    // The largest cursor the schema documents (2^53 - 1, sixteen digits) is a cursor like any other.
    const largest = await get(api, `/api/builds?cursor=${Number.MAX_SAFE_INTEGER}&limit=1`);
    assert.is(largest.status, 200, JSON.stringify(largest.body));
    assert.is((await get(api, '/api/builds?cursor=9007199254740992')).status, 400);
  }),
);

test.run();
