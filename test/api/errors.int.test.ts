import pino from 'pino';
import { Type } from 'typebox';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { EventStoreError } from '../../adapters/eventstore/errors.ts';
import { DomainError } from '../../domain/shared/errors.ts';
import { withTimeout } from '../helpers/uvu.ts';
import { type ApiFixture, startApiFixture } from './api-fixture.ts';

interface Context {
  api: ApiFixture;
  logs: string[];
}

const secret = 'the database password is hunter2';

const test = suite<Context>('the error handler (application/problem+json with stable codes)');
test.before(async (context) => {
  context.logs = [];
  const logs = context.logs;
  context.api = await startApiFixture({
    bodyLimit: 1024,
    logger: pino({ level: 'info' }, { write: (line: string) => void logs.push(line) }),
    routes(app) {
      app.post('/test/echo', { schema: { body: Type.Object({ name: Type.String() }) } }, async (request) => ({
        name: request.body.name,
        actor: request.actor,
      }));
      app.get('/test/boom', async () => {
        throw new Error(secret);
      });
      app.get('/test/conflict', async () => {
        throw new EventStoreError(
          { code: 'TALLY_EVENTSTORE_WRONG_EXPECTED_REVISION', stream: 'spec-web', expected: 3, actual: 4 },
          'wrong expected revision',
        );
      });
      app.get('/test/unavailable', async () => {
        throw new EventStoreError(
          { code: 'TALLY_EVENTSTORE_UNAVAILABLE', endpoint: 'esdb://10.1.2.3:2113' },
          'connect ECONNREFUSED 10.1.2.3:2113',
        );
      });
      app.get('/test/domain', async () => {
        throw new DomainError('TALLY_SPEC_INVALID', 'the specification web is invalid', [
          { path: 'channels[0].url', message: 'must be a git URL' },
        ]);
      });
    },
  });
});
test.after(async (context) => {
  await context.api.stop();
});

const isProblem = (headers: Record<string, unknown>) =>
  assert.match(String(headers['content-type']), /^application\/problem\+json/);

test(
  'answers a malformed JSON body with 400 TALLY_API_INVALID_REQUEST',
  withTimeout(10_000, async ({ api }) => {
    const response = await api.app.inject({
      method: 'POST',
      url: '/test/echo',
      headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json' },
      payload: '{"name": "web",',
    });
    assert.is(response.statusCode, 400);
    isProblem(response.headers);
    const problem = response.json();
    assert.is(problem.code, 'TALLY_API_INVALID_REQUEST');
    assert.is(problem.status, 400);
    assert.is(problem.type, 'urn:tally:problem:TALLY_API_INVALID_REQUEST');
    assert.ok(problem.title);
    assert.match(problem.detail, /JSON/);
  }),
);

test(
  'names the field of a body that fails its schema',
  withTimeout(10_000, async ({ api }) => {
    const response = await api.app.inject({
      method: 'POST',
      url: '/test/echo',
      headers: { authorization: `Bearer ${api.token}` },
      payload: { title: 'web' },
    });
    assert.is(response.statusCode, 400);
    assert.is(response.json().field, 'body.name');
    assert.match(response.json().detail, /name/);
  }),
);

test(
  'answers bodies over the limit with 413 and unknown content types with 415',
  withTimeout(10_000, async ({ api }) => {
    const auth = { authorization: `Bearer ${api.token}` };
    const large = await api.app.inject({
      method: 'POST',
      url: '/test/echo',
      headers: auth,
      payload: { name: 'x'.repeat(2000) },
    });
    assert.is(large.statusCode, 413);
    assert.is(large.json().code, 'TALLY_API_BODY_TOO_LARGE');
    assert.match(large.json().detail, /larger than 1024 bytes/);
    const xml = await api.app.inject({
      method: 'POST',
      url: '/test/echo',
      headers: { ...auth, 'content-type': 'application/xml' },
      payload: '<name>web</name>',
    });
    assert.is(xml.statusCode, 415);
    assert.is(xml.json().code, 'TALLY_API_UNSUPPORTED_MEDIA_TYPE');
    assert.match(xml.json().detail, /application\/json/);
    const text = await api.app.inject({
      method: 'POST',
      url: '/test/echo',
      headers: { ...auth, 'content-type': 'text/plain' },
      payload: 'name=web',
    });
    assert.is(text.statusCode, 400);
    assert.match(text.json().detail, /send a JSON object, with content-type application\/json/);
  }),
);

test(
  'answers unknown routes with 404 TALLY_API_NOT_FOUND',
  withTimeout(10_000, async ({ api }) => {
    const response = await api.app.inject({ url: '/api/no-such-thing?x=1' });
    assert.is(response.statusCode, 404);
    isProblem(response.headers);
    assert.is(response.json().code, 'TALLY_API_NOT_FOUND');
    assert.match(response.json().detail, /GET \/api\/no-such-thing$/);
  }),
);

test(
  'answers a method a path does not take with 405, naming the ones it does in Allow',
  withTimeout(10_000, async ({ api }) => {
    for (const [method, url, allow] of [
      ['OPTIONS', '/api/specs', 'GET, HEAD, POST'],
      ['GET', '/api/specs/alpha/activate', 'POST'],
      ['PATCH', '/api/builds/1', 'GET, HEAD'],
    ] as const) {
      // With a token: a method that writes is refused without one before any route is looked for.
      const response = await api.app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${api.token}` },
      });
      assert.is(response.statusCode, 405, `${method} ${url}`);
      isProblem(response.headers);
      assert.is(response.json().code, 'TALLY_API_METHOD_NOT_ALLOWED');
      assert.is(response.headers.allow, allow, `${method} ${url}`);
    }
  }),
);

test(
  'answers an unexpected error with 500 that carries the request id and nothing of the error',
  withTimeout(10_000, async ({ api, logs }) => {
    const response = await api.app.inject({ url: '/test/boom' });
    assert.is(response.statusCode, 500);
    isProblem(response.headers);
    const problem = response.json();
    assert.is(problem.code, 'TALLY_API_INTERNAL');
    assert.is(problem.requestId, response.headers['x-request-id']);
    assert.not.match(response.body, /hunter2|password|stack|at .*\.ts/);
    const logged = logs
      .map((line) => JSON.parse(line))
      .find((entry) => entry.reqId === problem.requestId && entry.err);
    assert.ok(logged, 'the error is logged with the request id');
    assert.match(logged.err.message, /hunter2/);
  }),
);

test(
  'maps event-store conflicts to 409 with advice, and an unreachable store to 503 without its address',
  withTimeout(10_000, async ({ api }) => {
    const conflict = await api.app.inject({ url: '/test/conflict' });
    assert.is(conflict.statusCode, 409);
    assert.is(conflict.json().code, 'TALLY_EVENTSTORE_WRONG_EXPECTED_REVISION');
    assert.match(conflict.json().detail, /someone else changed spec-web.*reload and retry/);
    const down = await api.app.inject({ url: '/test/unavailable' });
    assert.is(down.statusCode, 503);
    assert.is(down.json().code, 'TALLY_EVENTSTORE_UNAVAILABLE');
    assert.ok(down.headers['retry-after']);
    assert.not.match(down.body, /10\.1\.2\.3|ECONNREFUSED/);
  }),
);

test(
  'answers a domain error with its own status and code, and the fields it lists',
  withTimeout(10_000, async ({ api }) => {
    const response = await api.app.inject({ url: '/test/domain' });
    assert.is(response.statusCode, 422);
    const problem = response.json();
    assert.is(problem.code, 'TALLY_SPEC_INVALID');
    assert.match(problem.detail, /the specification web is invalid/);
    assert.equal(problem.issues, [{ path: 'channels[0].url', message: 'must be a git URL' }]);
  }),
);

test(
  'answers a path the router cannot take (bad percent-encoding, an absurdly long segment) as a problem',
  withTimeout(10_000, async ({ api }) => {
    const badEncoding = await api.app.inject({ url: '/api/specs/%ff' });
    assert.is(badEncoding.statusCode, 400);
    assert.match(badEncoding.headers['content-type'] as string, /^application\/problem\+json/);
    assert.is(badEncoding.json().code, 'TALLY_API_INVALID_REQUEST');
    assert.match(badEncoding.json().detail, /percent-encoded/);
    assert.ok(badEncoding.json().requestId);
    const tooLong = await api.app.inject({ url: `/api/builds/${'a'.repeat(3000)}` });
    assert.is(tooLong.statusCode, 400, 'the status the code is documented with');
    assert.match(tooLong.headers['content-type'] as string, /^application\/problem\+json/);
    assert.is(tooLong.json().code, 'TALLY_API_INVALID_REQUEST');
  }),
);

test(
  'passes an encoded derivation path longer than 100 characters to the route',
  withTimeout(10_000, async ({ api }) => {
    const drvPath = `/nix/store/${'a'.repeat(32)}-${'x'.repeat(80)}.drv`;
    const response = await api.app.inject({ url: `/api/builds/${encodeURIComponent(drvPath)}` });
    // Unknown here, but answered by the route itself, not refused by the router.
    assert.is(response.statusCode, 404);
    assert.is(response.json().code, 'TALLY_BUILD_NOT_FOUND');
  }),
);

test.run();
