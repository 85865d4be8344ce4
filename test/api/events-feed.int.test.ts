import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { withTimeout } from '../helpers/uvu.ts';
import { type ApiFixture, type Json, startApiFixture } from './api-fixture.ts';
import { openSse, type SseFrame } from './sse-client.ts';

interface Context {
  api: ApiFixture;
  base: string;
}

const test = suite<Context>('the live event feed (GET /api/events over real HTTP)');
test.before.each(async (context) => {
  context.api = await startApiFixture({ liveFeed: { heartbeatMs: 100, maxClients: 2 } });
  context.base = await context.api.app.listen({ host: '127.0.0.1', port: 0 });
});
test.after.each(async (context) => {
  await context.api.stop();
});

const event = (type: string, data: Json = {}) => ({ type, data });
const dataOf = (frame: SseFrame) => JSON.parse(frame.data ?? 'null') as Json;

test(
  'delivers live appends as SSE messages, only those that pass the category and type filters',
  withTimeout(15_000, async ({ api, base }) => {
    const feed = await openSse(`${base}/api/events?category=build&type=BuildFailed,BuildSucceeded`);
    try {
      assert.is(feed.response.status, 200);
      assert.match(feed.response.headers.get('content-type') ?? '', /^text\/event-stream/);
      await api.store.append('build-a', [event('BuildQueued'), event('BuildFailed', { n: 1 })], 'no_stream');
      await api.store.append('eval-1', [event('BuildFailed', { n: 2 })], 'no_stream');
      const last = await api.store.append('build-b', [event('BuildSucceeded', { n: 3 })], 'no_stream');

      const first = await feed.nextEvent();
      assert.is(first.event, 'BuildFailed');
      assert.equal(dataOf(first).data, { n: 1 });
      assert.is(dataOf(first).stream, 'build-a');
      assert.is(first.id, String(dataOf(first).position));
      const second = await feed.nextEvent();
      assert.is(second.event, 'BuildSucceeded');
      assert.is(dataOf(second).stream, 'build-b');
      assert.is(second.id, String(last.position));
    } finally {
      feed.close();
    }
  }),
);

test(
  'resumes after Last-Event-ID (and ?from=) without repeating or skipping an event',
  withTimeout(15_000, async ({ api, base }) => {
    const revisions = (frames: SseFrame[]) => frames.map((frame) => dataOf(frame).revision);
    await api.store.append(
      'build-x',
      [0, 1, 2, 3].map((n) => event('BuildLogged', { n })),
      'no_stream',
    );
    await api.store.append('spec-other', [event('SpecRegistered')], 'no_stream');
    const firstVisit = await openSse(`${base}/api/events?from=start&category=build`);
    const seen = [await firstVisit.nextEvent(), await firstVisit.nextEvent()];
    firstVisit.close();
    assert.equal(revisions(seen), [0, 1]);
    await api.store.append(
      'build-x',
      [4, 5].map((n) => event('BuildLogged', { n })),
      3,
    );

    // EventSource sends the last id it saw; the original ?from= stays in the URL and must lose.
    const resumed = await openSse(`${base}/api/events?from=start&category=build`, {
      'last-event-id': seen[1]!.id!,
    });
    try {
      const rest = [];
      for (let i = 0; i < 4; i++) rest.push(await resumed.nextEvent());
      assert.equal(revisions(rest), [2, 3, 4, 5]);
    } finally {
      resumed.close();
    }

    const fromQuery = await openSse(`${base}/api/events?from=${seen[0]!.id}&category=build`);
    try {
      assert.is(dataOf(await fromQuery.nextEvent()).revision, 1);
    } finally {
      fromQuery.close();
    }
  }),
);

test(
  'sends heartbeat comments while nothing happens',
  withTimeout(10_000, async ({ base }) => {
    const feed = await openSse(`${base}/api/events`);
    try {
      const beat = await feed.next((frame) => frame.comments.includes('heartbeat'));
      assert.is(beat.data, undefined);
    } finally {
      feed.close();
    }
  }),
);

test(
  'refuses clients past the bound with 503 problem+json, and takes one again once a client leaves',
  withTimeout(15_000, async ({ base }) => {
    const a = await openSse(`${base}/api/events`);
    const b = await openSse(`${base}/api/events`);
    const refused = await fetch(`${base}/api/events`);
    assert.is(refused.status, 503);
    assert.match(refused.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.ok(refused.headers.get('retry-after'));
    assert.is(((await refused.json()) as Json).code, 'TALLY_API_TOO_MANY_CLIENTS');
    a.close();
    // The server learns of the disconnect asynchronously: retry until the freed slot is given out.
    let c: Awaited<ReturnType<typeof openSse>> | undefined;
    while (!c) {
      const attempt = await openSse(`${base}/api/events`);
      if (attempt.response.status === 200) c = attempt;
      else await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /^tally_live_feed_clients 2$/m);
    b.close();
    c.close();
  }),
);

test(
  'rejects unknown categories and malformed positions with 400',
  withTimeout(10_000, async ({ api }) => {
    for (const [url, headers, field] of [
      ['/api/events?category=build,bogus', {}, 'querystring.category'],
      ['/api/events?type=Not-A-Type', {}, 'querystring.type'],
      ['/api/events?from=-3', {}, 'querystring.from'],
      ['/api/events', { 'last-event-id': 'abc' }, 'headers.last-event-id'],
    ] as const) {
      const response = await api.app.inject({ url, headers });
      assert.is(response.statusCode, 400, url);
      assert.is(response.json().code, 'TALLY_API_INVALID_REQUEST');
      assert.is(response.json().field, field);
    }
  }),
);

test(
  'refuses to resume past the last event, from Last-Event-ID or ?from=, naming where the store is',
  withTimeout(10_000, async ({ api }) => {
    const { position } = await api.store.append('spec-a', [event('SpecificationRegistered')], 'any');
    for (const [url, headers, field] of [
      [`/api/events?from=${position + 1}`, {}, 'querystring.from'],
      ['/api/events', { 'last-event-id': String(position + 1000) }, 'headers.last-event-id'],
      // 16 digits are past what a JavaScript number holds exactly: refused by the schema.
      ['/api/events', { 'last-event-id': '9999999999999999' }, 'headers.last-event-id'],
    ] as const) {
      const response = await api.app.inject({ url, headers });
      assert.is(response.statusCode, 400, url);
      assert.is(response.json().code, 'TALLY_API_INVALID_REQUEST');
      assert.is(response.json().field, field);
    }
    assert.match(
      (await api.app.inject({ url: `/api/events?from=${position + 1}` })).json().detail,
      `beyond the last event (position ${position})`,
    );
  }),
);

test(
  'answers HEAD with the headers alone and keeps no feed open for it',
  withTimeout(15_000, async ({ base }) => {
    // More HEAD requests than the bound on clients: none may take a place.
    for (let i = 0; i < 4; i += 1) {
      const response = await fetch(`${base}/api/events`, { method: 'HEAD' });
      assert.is(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
    }
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /^tally_live_feed_clients 0$/m);
    const feed = await openSse(`${base}/api/events`);
    assert.is(feed.response.status, 200, 'a client still gets a feed');
    feed.close();
  }),
);

test(
  'ends open feeds when the server closes, so close() does not hang',
  withTimeout(15_000, async ({ api, base }) => {
    const feed = await openSse(`${base}/api/events`);
    await api.app.close();
    await feed.ended();
  }),
);

test.run();
