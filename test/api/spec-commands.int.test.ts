import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { handleCommand } from '../../adapters/eventstore/command-handler.ts';
import { checkoutDecider } from '../../domain/checkout/index.ts';
import { withTimeout } from '../helpers/uvu.ts';
import { type ApiFixture, type Json, startApiFixture } from './api-fixture.ts';

interface Context {
  api: ApiFixture;
}

const spec = (name: string) => ({
  name,
  channels: [{ name: 'guix', url: 'https://git.guix.gnu.org/guix.git', branch: 'master' }],
  evaluator: { kind: 'guix', entry: '(gnu ci)' },
  systems: ['x86_64-linux'],
});

function send(
  api: ApiFixture,
  method: 'POST' | 'PUT' | 'DELETE',
  url: string,
  options: { body?: unknown; headers?: Record<string, string>; token?: string | null } = {},
) {
  const token = options.token === undefined ? api.token : options.token;
  return api.app.inject({
    method,
    url,
    headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...options.headers },
    ...(options.body === undefined ? {} : { payload: options.body as Json }),
  });
}

async function streamOf(api: ApiFixture, stream: string) {
  const events = [];
  try {
    for await (const event of api.store.readStream(stream)) events.push(event);
  } catch {
    return [];
  }
  return events;
}

/** The `$all` position of the last event in the store, to show that a refused request wrote nothing. */
async function head(api: ApiFixture): Promise<number> {
  for await (const event of api.store.readAll({ direction: 'backwards', limit: 1 })) return event.position;
  return -1;
}

function detectCheckout(api: ApiFixture, spec: string, commit: string) {
  return handleCommand(
    api.store,
    checkoutDecider,
    `checkout-${spec}`,
    {
      type: 'DetectCheckout',
      spec,
      channel: 'guix',
      url: 'https://git.guix.gnu.org/guix.git',
      branch: 'master',
      commit,
      commitTime: '2024-05-01T12:00:00Z',
      actor: 'poller',
      at: '2024-05-01T12:01:00Z',
    },
    { cause: { kind: 'command', id: commit }, actor: 'poller', at: '2024-05-01T12:01:00Z' },
  );
}

const isProblem = (response: { headers: Record<string, unknown> }) =>
  assert.match(String(response.headers['content-type']), /^application\/problem\+json/);

const test = suite<Context>('specification commands (POST/PUT/DELETE /api/specs…)');
test.before(async (context) => {
  context.api = await startApiFixture();
});
test.after(async (context) => {
  await context.api.stop();
});

test(
  'registers a specification as user:alice, with the request id as cause, the revision as ETag and the position',
  withTimeout(15_000, async ({ api }) => {
    const response = await send(api, 'POST', '/api/specs', { body: spec('guix') });
    assert.is(response.statusCode, 201, response.body);
    assert.is(response.headers.etag, '"0"');
    assert.is(response.headers.location, '/api/specs/guix');
    const body = response.json() as Json;
    assert.equal(body.events, ['SpecificationRegistered']);
    assert.is(body.revision, 0);
    assert.is(body.position, Number(response.headers['x-tally-position']));
    const [event] = await streamOf(api, 'spec-guix');
    assert.is(event!.type, 'SpecificationRegistered');
    assert.is(event!.metadata.actor, 'user:alice');
    assert.is(event!.metadata.causationId, response.headers['x-request-id']);
    assert.is(event!.metadata.correlationId, response.headers['x-request-id']);
    assert.is((event!.data as { spec: { pollingPeriodSeconds: number } }).spec.pollingPeriodSeconds, 300);
    const read = await api.app.inject({ url: '/api/specs/guix' });
    assert.is(read.statusCode, 200, read.body);
  }),
);

test(
  'refuses an invalid specification with 422 naming each field, and writes nothing',
  withTimeout(15_000, async ({ api }) => {
    const bad = {
      ...spec('broken'),
      channels: [{ name: 'guix', url: 'not a url', branch: 'master' }],
      systems: [],
    };
    const response = await send(api, 'POST', '/api/specs', { body: bad });
    assert.is(response.statusCode, 422, response.body);
    const problem = response.json() as Json;
    assert.is(problem.code, 'TALLY_SPEC_INVALID');
    const paths = (problem.issues as { path: string }[]).map((issue) => issue.path);
    assert.ok(paths.includes('channels[0].url'), String(paths));
    assert.ok(paths.includes('systems'), String(paths));
    assert.match(String(problem.detail), /^Specification "broken" is invalid: .*channels\[0\]\.url/);
    assert.equal(await streamOf(api, 'spec-broken'), []);
    const nameless = await send(api, 'POST', '/api/specs', { body: {} });
    assert.is(nameless.statusCode, 422, nameless.body);
    assert.match(
      String((nameless.json() as Json).detail),
      /^The specification \(it has no name\) is invalid: name /,
    );
  }),
);

test(
  'asks for a token (401) and refuses a wrong one (403), writing nothing',
  withTimeout(15_000, async ({ api }) => {
    const missing = await send(api, 'POST', '/api/specs', { body: spec('anon'), token: null });
    assert.is(missing.statusCode, 401);
    assert.is((missing.json() as Json).code, 'TALLY_AUTH_MISSING_TOKEN');
    const wrong = await send(api, 'DELETE', '/api/specs/guix', { token: 'not-a-token' });
    assert.is(wrong.statusCode, 403);
    assert.is((wrong.json() as Json).code, 'TALLY_AUTH_BAD_TOKEN');
    assert.equal(await streamOf(api, 'spec-anon'), []);
    assert.is((await streamOf(api, 'spec-guix')).length, 1);
  }),
);

test(
  'updates with If-Match, and answers 409 to a stale If-Match without writing',
  withTimeout(15_000, async ({ api }) => {
    await send(api, 'POST', '/api/specs', { body: spec('upd') });
    const updated = await send(api, 'PUT', '/api/specs/upd', {
      body: { ...spec('upd'), priority: 5 },
      headers: { 'if-match': '"0"' },
    });
    assert.is(updated.statusCode, 200, updated.body);
    assert.is(updated.headers.etag, '"1"');
    assert.equal((updated.json() as Json).events, ['SpecificationUpdated']);
    const stale = await send(api, 'PUT', '/api/specs/upd', {
      body: { ...spec('upd'), priority: 9 },
      headers: { 'if-match': '"0"' },
    });
    assert.is(stale.statusCode, 409, stale.body);
    assert.is((stale.json() as Json).code, 'TALLY_EVENTSTORE_WRONG_EXPECTED_REVISION');
    assert.is((await streamOf(api, 'spec-upd')).length, 2);
    // A body naming another specification than the path is a rename, refused whichever exists.
    for (const [path, other] of [
      ['upd', 'elsewhere'],
      ['ghost', 'upd'],
    ]) {
      const renamed = await send(api, 'PUT', `/api/specs/${path}`, { body: spec(other!) });
      assert.is(renamed.statusCode, 422, renamed.body);
      assert.is((renamed.json() as Json).code, 'TALLY_SPEC_RENAME');
      assert.match(String((renamed.json() as Json).detail), /cannot be renamed/);
    }
    // A body without a name takes the path's.
    const { name: _name, ...unnamed } = spec('upd');
    const kept = await send(api, 'PUT', '/api/specs/upd', { body: { ...unnamed, priority: 7 } });
    assert.is(kept.statusCode, 200, kept.body);
    assert.is((await streamOf(api, 'spec-upd')).length, 3);
  }),
);

test(
  'lets exactly one of two concurrent conflicting writes win',
  withTimeout(15_000, async ({ api }) => {
    const both = await Promise.all([
      send(api, 'POST', '/api/specs', { body: { ...spec('race'), priority: 1 } }),
      send(api, 'POST', '/api/specs', { body: { ...spec('race'), priority: 2 } }),
    ]);
    assert.equal(both.map((response) => response.statusCode).sort(), [201, 409]);
    const loser = both.find((response) => response.statusCode === 409)!;
    assert.is((loser.json() as Json).code, 'TALLY_SPEC_ALREADY_EXISTS');
    assert.is((await streamOf(api, 'spec-race')).length, 1);
    const updates = await Promise.all(
      [3, 4].map((priority) =>
        send(api, 'PUT', '/api/specs/race', {
          body: { ...spec('race'), priority },
          headers: { 'if-match': '0' },
        }),
      ),
    );
    assert.equal(updates.map((response) => response.statusCode).sort(), [200, 409]);
    assert.is((await streamOf(api, 'spec-race')).length, 2);
    // A whole specification replaces what its sender read: without If-Match too, one sent at the same
    // time as another is a conflict, never overwritten in silence.
    const unconditional = await Promise.all(
      [5, 6].map((priority) => send(api, 'PUT', '/api/specs/race', { body: { ...spec('race'), priority } })),
    );
    assert.equal(unconditional.map((response) => response.statusCode).sort(), [200, 409]);
    const refused = unconditional.find((response) => response.statusCode === 409)!;
    assert.is((refused.json() as Json).code, 'TALLY_EVENTSTORE_WRONG_EXPECTED_REVISION');
    assert.is((await streamOf(api, 'spec-race')).length, 3);
    // Without If-Match nobody asked for a revision: ten deactivations at once all succeed, one writes.
    const offs = await Promise.all(
      Array.from({ length: 10 }, () => send(api, 'POST', '/api/specs/race/deactivate')),
    );
    assert.equal(
      offs.map((response) => response.statusCode),
      Array(10).fill(200),
      offs.map((response) => response.body).join('\n'),
    );
    const written = offs.filter((response) => (response.json() as Json).position !== null);
    assert.is(written.length, 1);
    assert.is((await streamOf(api, 'spec-race')).length, 4);
  }),
);

test(
  'deactivates, activates and removes, each recorded by user:alice; unknown names are 404',
  withTimeout(15_000, async ({ api }) => {
    await send(api, 'POST', '/api/specs', { body: spec('life') });
    // A reason with control characters (here a terminal escape) is refused, nothing written; lines are fine.
    const escaped = await send(api, 'POST', '/api/specs/life/deactivate', {
      body: { why: 'x\u001b[31m red \u0000' },
    });
    assert.is(escaped.statusCode, 400, escaped.body);
    assert.is((escaped.json() as Json).field, 'body.why');
    assert.is((await streamOf(api, 'spec-life')).length, 1);
    // A reason of another type is refused, not turned into text; a field no route knows is refused too.
    for (const [body, field] of [
      [{ why: 5 }, 'body.why'],
      [{ why: ['x'] }, 'body.why'],
      [{ reason: 'x' }, 'body.reason'],
    ] as const) {
      const wrong = await send(api, 'POST', '/api/specs/life/deactivate', { body });
      assert.is(wrong.statusCode, 400, `${JSON.stringify(body)}: ${wrong.body}`);
      assert.is((wrong.json() as Json).field, field, wrong.body);
    }
    assert.is((await streamOf(api, 'spec-life')).length, 1);
    const off = await send(api, 'POST', '/api/specs/life/deactivate', { body: { why: 'upgrade' } });
    assert.is(off.statusCode, 200, off.body);
    const on = await send(api, 'POST', '/api/specs/life/activate', { body: { why: 'upgraded' } });
    assert.is(on.statusCode, 200, on.body);
    const again = await send(api, 'POST', '/api/specs/life/activate');
    assert.equal((again.json() as Json).events, [], 'already active: nothing to write');
    assert.is((again.json() as Json).position, null);
    const removed = await send(api, 'DELETE', '/api/specs/life');
    assert.is(removed.statusCode, 200, removed.body);
    const events = await streamOf(api, 'spec-life');
    assert.equal(
      events.map((event) => event.type),
      [
        'SpecificationRegistered',
        'SpecificationDeactivated',
        'SpecificationActivated',
        'SpecificationRemoved',
      ],
    );
    assert.equal((events[1]!.data as Json).why, 'upgrade');
    assert.equal((events[2]!.data as Json).why, 'upgraded');
    assert.ok(events.every((event) => event.metadata.actor === 'user:alice'));
    for (const [method, url] of [
      ['DELETE', '/api/specs/nope'],
      ['POST', '/api/specs/nope/activate'],
      ['POST', '/api/specs/nope/evaluate'],
      ['PUT', '/api/specs/nope'],
    ] as const) {
      const response = await send(api, method, url, method === 'PUT' ? { body: spec('nope') } : {});
      assert.is(response.statusCode, 404, `${method} ${url}: ${response.body}`);
      assert.is((response.json() as Json).code, 'TALLY_SPEC_NOT_FOUND');
    }
    assert.equal(await streamOf(api, 'spec-nope'), []);
  }),
);

test(
  'evaluates on the last checkouts, or answers 409 before the first poll',
  withTimeout(15_000, async ({ api }) => {
    await send(api, 'POST', '/api/specs', { body: spec('manual') });
    const early = await send(api, 'POST', '/api/specs/manual/evaluate');
    assert.is(early.statusCode, 409, early.body);
    assert.is((early.json() as Json).code, 'TALLY_SPEC_NOT_POLLED_YET');
    await detectCheckout(api, 'manual', 'a'.repeat(40));
    await detectCheckout(api, 'manual', 'b'.repeat(40));
    const response = await send(api, 'POST', '/api/specs/manual/evaluate');
    assert.is(response.statusCode, 202, response.body);
    const { evaluationId, stream } = response.json() as { evaluationId: string; stream: string };
    assert.is(stream, `eval-${evaluationId}`);
    const [requested] = await streamOf(api, stream);
    assert.is(requested!.type, 'EvaluationRequested');
    assert.is(requested!.metadata.actor, 'user:alice');
    const data = requested!.data as { trigger: Json; checkouts: { commit: string }[] };
    assert.equal(data.trigger, { kind: 'manual', by: 'user:alice' });
    assert.equal(
      data.checkouts.map((checkout) => checkout.commit),
      ['b'.repeat(40)],
    );

    // A deactivated specification is not evaluated: refused with what to do, nothing written.
    assert.is((await send(api, 'POST', '/api/specs/manual/deactivate')).statusCode, 200);
    const before = await head(api);
    const inactive = await send(api, 'POST', '/api/specs/manual/evaluate');
    assert.is(inactive.statusCode, 409, inactive.body);
    assert.is((inactive.json() as Json).code, 'TALLY_SPEC_INACTIVE');
    assert.match(String((inactive.json() as Json).detail), /activate/);
    assert.is(await head(api), before);
  }),
);

test(
  'refuses a truncated JSON body with 400 problem+json, writing nothing',
  withTimeout(15_000, async ({ api }) => {
    const before = await head(api);
    const whole = JSON.stringify(spec('truncated'));
    const response = await api.app.inject({
      method: 'POST',
      url: '/api/specs',
      headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json' },
      payload: whole.slice(0, whole.length - 10),
    });
    assert.is(response.statusCode, 400, response.body);
    isProblem(response);
    const problem = response.json() as Json;
    assert.is(problem.code, 'TALLY_API_INVALID_REQUEST');
    assert.match(String(problem.detail), /JSON/);
    assert.equal(await streamOf(api, 'spec-truncated'), []);
    assert.is(await head(api), before);
    // A body said to be compressed is refused before it is read, whatever it holds.
    const encoded = await api.app.inject({
      method: 'POST',
      url: '/api/specs',
      headers: {
        authorization: `Bearer ${api.token}`,
        'content-type': 'application/json',
        'content-encoding': 'gzip',
      },
      payload: whole,
    });
    assert.is(encoded.statusCode, 415, encoded.body);
    assert.is((encoded.json() as Json).code, 'TALLY_API_UNSUPPORTED_MEDIA_TYPE');
    assert.match(String((encoded.json() as Json).detail), /uncompressed/);
    assert.is(await head(api), before);
  }),
);

test(
  'refuses a malformed If-Match on every specification write with 400, writing nothing',
  withTimeout(15_000, async ({ api }) => {
    await send(api, 'POST', '/api/specs', { body: spec('guarded') });
    await detectCheckout(api, 'guarded', 'c'.repeat(40));
    const before = await head(api);
    const writes = [
      ['POST', '/api/specs', spec('fresh')],
      ['PUT', '/api/specs/guarded', spec('guarded')],
      ['DELETE', '/api/specs/guarded', undefined],
      ['POST', '/api/specs/guarded/deactivate', undefined],
      ['POST', '/api/specs/guarded/evaluate', undefined],
    ] as const;
    for (const [method, url, body] of writes) {
      for (const ifMatch of ['abc', '"0', '1.5', '"-1"']) {
        const response = await send(api, method, url, { body, headers: { 'if-match': ifMatch } });
        assert.is(response.statusCode, 400, `${method} ${url} If-Match ${ifMatch}: ${response.body}`);
        isProblem(response);
        const problem = response.json() as Json;
        assert.is(problem.code, 'TALLY_API_INVALID_REQUEST', `${method} ${url}`);
        assert.is(problem.field, 'headers.if-match', `${method} ${url}`);
      }
    }
    assert.is(await head(api), before);
    assert.equal(await streamOf(api, 'spec-fresh'), []);
  }),
);

test(
  'registers with If-Match only over a removed specification at that revision; a new name has none to match',
  withTimeout(15_000, async ({ api }) => {
    const unborn = await send(api, 'POST', '/api/specs', {
      body: spec('born'),
      headers: { 'if-match': '"0"' },
    });
    assert.is(unborn.statusCode, 409, unborn.body);
    assert.is((unborn.json() as Json).code, 'TALLY_EVENTSTORE_WRONG_EXPECTED_REVISION');
    assert.match(String((unborn.json() as Json).detail), /spec-born does not exist/);
    assert.equal(await streamOf(api, 'spec-born'), []);

    await send(api, 'POST', '/api/specs', { body: spec('reborn') });
    const removed = await send(api, 'DELETE', '/api/specs/reborn');
    assert.is(removed.headers.etag, '"1"');
    const stale = await send(api, 'POST', '/api/specs', {
      body: spec('reborn'),
      headers: { 'if-match': '"0"' },
    });
    assert.is(stale.statusCode, 409, stale.body);
    const again = await send(api, 'POST', '/api/specs', {
      body: spec('reborn'),
      headers: { 'if-match': removed.headers.etag as string },
    });
    assert.is(again.statusCode, 201, again.body);
    assert.is(again.headers.etag, '"2"');
  }),
);

test(
  'refuses any If-Match on evaluate, whose evaluation is a new stream, and requests nothing',
  withTimeout(15_000, async ({ api }) => {
    await send(api, 'POST', '/api/specs', { body: spec('nomatch') });
    await detectCheckout(api, 'nomatch', 'd'.repeat(40));
    const before = await head(api);
    for (const ifMatch of ['"0"', '0', 'W/"3"']) {
      const response = await send(api, 'POST', '/api/specs/nomatch/evaluate', {
        headers: { 'if-match': ifMatch },
      });
      assert.is(response.statusCode, 400, `If-Match ${ifMatch}: ${response.body}`);
      const problem = response.json() as Json;
      assert.is(problem.field, 'headers.if-match');
      assert.match(String(problem.detail), /without it/);
    }
    assert.is(await head(api), before);
    const evaluated = await send(api, 'POST', '/api/specs/nomatch/evaluate');
    assert.is(evaluated.statusCode, 202, evaluated.body);
  }),
);

test.run();
