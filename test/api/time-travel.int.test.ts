/**
 * Time travel (`?at=`) with a bound: a replay reads at most `maxEvents` events per request, goes on
 * from the state a refused request reached, and runs one at a time; and an evaluation's job pages
 * stay right when more jobs arrive after a page was served.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { withTimeout } from '../helpers/uvu.ts';
import { drv, FarmHistory, job } from '../projections/fixtures/farm-history.ts';
import type { Json } from './api-fixture.ts';
import { type ReadFixture, startReadFixture } from './read-fixture.ts';

interface Context {
  api: ReadFixture;
  positions: number[];
  /** Index of the event after which zlib was queued and not yet built. */
  queuedAt: number;
  /** Index of zlib's failure, the last build event. */
  failedAt: number;
  evaluation: string;
}

const maxEvents = 10;
const zlib = drv('zlib-1.0');

/**
 * Fifty-odd events: twenty-five checkouts, then an evaluation whose zlib is queued, then fails, then
 * three more checkouts.
 */
function farmHistory() {
  const farm = new FarmHistory({ chunkBytes: 400 });
  farm.registerSpec('guix');
  for (let n = 0; n < 25; n++) farm.detectCheckout('guix');
  const evaluation = farm.evaluate('guix', [job('zlib'), job('hello'), job('curl'), job('git')]);
  farm.scheduleBuilds(evaluation);
  const queuedAt = farm.events.length - 1;
  farm.build(zlib, 'failed');
  const failedAt = farm.events.length - 1;
  for (let n = 0; n < 3; n++) farm.detectCheckout('guix');
  return { farm, queuedAt, failedAt, evaluation };
}

const test = suite<Context>('time travel with a bound');
test.before(async (context) => {
  const { farm, queuedAt, failedAt, evaluation } = farmHistory();
  context.api = await startReadFixture({ timeTravel: { maxEvents } });
  context.positions = await context.api.append(farm.events);
  context.queuedAt = queuedAt;
  context.failedAt = failedAt;
  context.evaluation = evaluation;
});
test.after(async ({ api }) => api.stop());

const get = async (api: ReadFixture, url: string) => {
  const response = await api.app.inject({ method: 'GET', url });
  return { status: response.statusCode, headers: response.headers, body: response.json() as Json };
};

test(
  'refuses a replay longer than the bound, then goes on from where it stopped until it answers',
  withTimeout(20_000, async ({ api, positions, queuedAt }) => {
    const at = positions[queuedAt]!;
    assert.ok(queuedAt + 1 > 2 * maxEvents, 'the history needs more than two bounded replays');
    const url = `/api/builds/${encodeURIComponent(zlib)}?at=${at}`;
    const refusals: Json[] = [];
    let answer = await get(api, url);
    while (answer.status === 422 && refusals.length < 10) {
      refusals.push(answer.body);
      answer = await get(api, url);
    }
    assert.is(refusals.length, Math.ceil((queuedAt + 1) / maxEvents) - 1);
    for (const refusal of refusals) {
      assert.is(refusal.code, 'TALLY_API_TIME_TRAVEL_TOO_FAR');
      assert.is(refusal.field, 'querystring.at');
      assert.match(String(refusal.detail), `more than ${maxEvents} events`);
    }
    assert.is(answer.status, 200);
    assert.is(answer.headers['x-tally-position'], String(at));
    assert.is(answer.body.status, 'queued');
    const now = await get(api, `/api/builds/${encodeURIComponent(zlib)}`);
    assert.is(now.body.status, 'failed');
  }),
);

test(
  'answers a replay that needs exactly the bound at once, and one that needs the bound again from there',
  withTimeout(20_000, async ({ api, positions }) => {
    // The jobsets read model: no other test here travels in it, so no state of it is kept yet.
    const exactly = await get(api, `/api/specs?at=${positions[maxEvents - 1]}`);
    assert.is(exactly.status, 200, JSON.stringify(exactly.body));
    const again = await get(api, `/api/specs?at=${positions[2 * maxEvents - 1]}`);
    assert.is(again.status, 200, JSON.stringify(again.body));
    assert.is(again.headers['x-tally-position'], String(positions[2 * maxEvents - 1]));
  }),
);

test(
  'answers a position near one answered before within the bound',
  withTimeout(20_000, async ({ api, positions, queuedAt }) => {
    assert.ok(
      positions.length - 1 - queuedAt <= maxEvents,
      'the build is within the bound of the kept state',
    );
    // Right after the dispatch: zlib's later events make it a replay, from the state kept at queuedAt.
    const next = positions[queuedAt + 1]!;
    const answer = await get(api, `/api/builds/${encodeURIComponent(zlib)}?at=${next}`);
    assert.is(answer.status, 200);
    assert.is(answer.body.status, 'dispatched');
  }),
);

test(
  'runs one replay at a time: a request meanwhile is told to retry',
  withTimeout(20_000, async ({ api, positions, queuedAt }) => {
    // Positions before zlib's build events, which the queue folds: none can be answered live.
    const far = positions.slice(queuedAt - 2, queuedAt + 1);
    const answers = await Promise.all(far.map((at) => get(api, `/api/queue?at=${at}`)));
    const busy = answers.filter((answer) => answer.status === 503);
    assert.ok(busy.length >= 1, `statuses ${answers.map((answer) => answer.status).join(', ')}`);
    for (const answer of busy) {
      assert.is(answer.body.code, 'TALLY_API_TIME_TRAVEL_BUSY');
      assert.ok(answer.headers['retry-after']);
    }
    for (const answer of answers) assert.ok([200, 422, 503].includes(answer.status));
  }),
);

test(
  'pages an evaluation whose jobs came in chunks, with a cursor between names',
  withTimeout(20_000, async ({ api, evaluation }) => {
    const first = await get(api, `/api/evaluations/${evaluation}/jobs?limit=2`);
    assert.equal(
      (first.body.jobs as Json[]).map((j) => j.name),
      ['curl.x86_64-linux', 'git.x86_64-linux'],
    );
    const rest = await get(api, `/api/evaluations/${evaluation}/jobs?limit=2&cursor=gz`);
    assert.equal(
      (rest.body.jobs as Json[]).map((j) => j.name),
      ['hello.x86_64-linux', 'zlib.x86_64-linux'],
    );
    assert.is(rest.body.nextCursor, undefined);
  }),
);

test(
  'answers from the live state, with no replay, when nothing the read model folds came after the position',
  withTimeout(20_000, async ({ api, positions, failedAt, evaluation }) => {
    // The evaluations read model, which no test before travels in: from its first event, each of these
    // would need more than the bound, so only the live state can answer them at once.
    assert.ok(failedAt + 1 > maxEvents);
    for (const at of [positions[failedAt]!, positions.at(-2)!, positions.at(-1)!]) {
      const answer = await get(api, `/api/evaluations/${evaluation}?at=${at}`);
      assert.is(answer.status, 200, `at=${at}: ${JSON.stringify(answer.body)}`);
      assert.is(answer.headers['x-tally-position'], String(at));
      assert.is(answer.body.status, 'completed');
    }
    // Before the first event (`at=-1`, the position of an empty store): the state before any event.
    const before = await get(api, `/api/evaluations/${evaluation}?at=-1`);
    assert.is(before.status, 404, JSON.stringify(before.body));
    assert.is(before.body.code, 'TALLY_EVALUATION_NOT_FOUND');
    assert.is((await get(api, `/api/queue?at=-1`)).status, 200);
    // The checkouts after zlib's failure are the jobsets read model's: as of then, it needs a replay.
    const specs = await get(api, `/api/specs?at=${positions[failedAt]}`);
    assert.is(specs.status, 422, JSON.stringify(specs.body));
    assert.is(specs.body.code, 'TALLY_API_TIME_TRAVEL_TOO_FAR');
  }),
);

test.run();
