import pino from 'pino';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { EventStoreError } from '../../adapters/eventstore/errors.ts';
import type { EventStore } from '../../adapters/eventstore/event-store.ts';
import { buildApp } from '../../api/app.ts';
import { openTokenStore } from '../../api/auth/token-store.ts';
import type { ProjectionLag, ProjectionRunner } from '../../projections/runtime/runner.ts';
import { tempDir, withTimeout } from '../helpers/uvu.ts';
import { type ApiFixture, type Json, startApiFixture } from './api-fixture.ts';

/** A runner that reports a fixed lag: the API only reads it. */
function laggingRunner(lag: ProjectionLag): ProjectionRunner {
  return {
    start: async () => undefined,
    saveNow: async () => [],
    loaded: async () => undefined,
    loading: () => [],
    state: () => {
      throw new Error('not used');
    },
    position: () => lag.appliedPosition,
    positionOf: () => lag.appliedPosition,
    waitFor: async () => undefined,
    lag: async () => lag,
    onApplied: () => () => undefined,
    skipped: { count: 2, byReason: { 'unknown-type': 2 } },
    stop: async () => undefined,
  };
}

const behind: ProjectionLag = {
  appliedPosition: 10,
  headPosition: 500,
  caughtUp: false,
  behindMs: 120_000,
  behind: ['builds'],
};

const docs = suite<{ api: ApiFixture }>('OpenAPI, metrics and health over a real ledger');
docs.before(async (context) => {
  context.api = await startApiFixture({ projections: laggingRunner(behind), health: { maxLagMs: 60_000 } });
});
docs.after(async (context) => {
  await context.api.stop();
});

docs(
  'lists the routes in /api/openapi.json with their response schemas, and serves the docs page',
  withTimeout(10_000, async ({ api }) => {
    const response = await api.app.inject({ url: '/api/openapi.json' });
    assert.is(response.statusCode, 200);
    const spec = response.json();
    assert.match(spec.openapi, /^3\./);
    const history = spec.paths['/api/history/{category}/{id}'].get;
    assert.ok(history.responses['200'].content['application/json'].schema.properties.events);
    // Refusals are documented as they are sent: problem+json, whatever the route's own type.
    for (const status of ['400', '404', '410', '500']) {
      assert.ok(history.responses[status].content['application/problem+json'].schema.properties.code, status);
    }
    const feedRefusal = spec.paths['/api/events'].get.responses['503'].content;
    assert.equal(Object.keys(feedRefusal), ['application/problem+json']);
    assert.ok(spec.paths['/api/builds/{id}/log'].get.responses['200'].content['text/plain']);
    // Any route that reads a body can be refused for its size or its content type.
    const register = spec.paths['/api/specs'].post.responses;
    for (const status of ['413', '415'])
      assert.ok(register[status].content['application/problem+json'], status);
    assert.not.ok(spec.paths['/api/specs'].get.responses['413'], 'a read has no body to refuse');
    // A write that takes no body is refused one of another type all the same.
    const drain = spec.paths['/api/workers/{name}/drain'].post;
    assert.is(drain.requestBody, undefined);
    assert.ok(drain.responses['415'].content['application/problem+json']);
    const sent = await api.app.inject({
      method: 'POST',
      url: '/api/workers/w1/drain',
      headers: { 'content-type': 'application/xml', authorization: `Bearer ${api.token}` },
      payload: '<drain/>',
    });
    assert.is(sent.statusCode, 415);
    assert.is(sent.json().code, 'TALLY_API_UNSUPPORTED_MEDIA_TYPE');
    const parameters = history.parameters.map((parameter: Json) => `${parameter.in}.${parameter.name}`);
    for (const name of ['path.category', 'path.id', 'query.from', 'query.limit', 'query.direction']) {
      assert.ok(parameters.includes(name), name);
    }
    assert.ok(spec.paths['/api/events'].get.responses['200'].content['text/event-stream']);
    assert.ok(spec.paths['/healthz'].get.responses['503']);
    assert.ok(spec.components.securitySchemes.bearer);
    const page = await api.app.inject({ url: '/api/docs/' });
    assert.is(page.statusCode, 200);
    assert.match(page.body, /swagger/i);
  }),
);

docs(
  'exposes the HTTP histogram by route and status, and event-store latency, after a request',
  withTimeout(10_000, async ({ api }) => {
    await api.app.inject({ url: '/api/history/build/none' });
    const response = await api.app.inject({ url: '/metrics' });
    assert.is(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^text\/plain/);
    assert.match(
      response.body,
      /tally_http_request_duration_seconds_bucket\{le="[^"]+",method="GET",route="\/api\/history\/:category\/:id",status_code="404"\} 1/,
    );
    assert.match(response.body, /tally_http_requests_total\{[^}]*status_code="404"\} 1/);
    assert.match(
      response.body,
      /tally_eventstore_call_duration_seconds_count\{operation="readStream",outcome="ok"\} [1-9]/,
    );
    assert.match(response.body, /^tally_projection_behind_seconds 120$/m);
    assert.match(response.body, /^tally_projection_caught_up 0$/m);
    assert.match(response.body, /^tally_projection_behind\{projection="builds"\} 1$/m);
    assert.match(response.body, /^tally_projection_skipped_events 2$/m);
  }),
);

docs(
  'reports a reachable store and lagging projections as degraded (200) on /healthz',
  withTimeout(10_000, async ({ api }) => {
    const response = await api.app.inject({ url: '/healthz' });
    assert.is(response.statusCode, 200);
    const health = response.json();
    assert.is(health.status, 'degraded');
    assert.is(health.eventStore.reachable, true);
    assert.equal(health.projections, { ...behind, skippedEvents: 2, loading: [] });
  }),
);

docs(
  'reports starting, naming the read models still loading, rather than degraded by a lag that means nothing yet',
  withTimeout(10_000, async () => {
    const starting = await startApiFixture({
      projections: { ...laggingRunner(behind), loading: () => ['builds', 'evaluations'] },
      health: { maxLagMs: 60_000 },
    });
    try {
      const response = await starting.app.inject({ url: '/healthz' });
      assert.is(response.statusCode, 200);
      assert.is(response.json().status, 'starting');
      assert.equal(response.json().projections.loading, ['builds', 'evaluations']);
    } finally {
      await starting.stop();
    }
  }),
);

docs.run();

const down = suite('health with an event store that does not answer');

down(
  'answers 503 unavailable when the store fails or hangs',
  withTimeout(10_000, async () => {
    const dir = await tempDir();
    const failing = (next: () => Promise<IteratorResult<never>>): EventStore => {
      const read = () => ({ [Symbol.asyncIterator]: () => ({ next }) });
      return {
        append: async () => {
          throw new Error('not used');
        },
        readStream: read,
        readAll: read,
        subscribeToAll: () => {
          throw new Error('not used');
        },
        close: async () => undefined,
      };
    };
    const refusing = failing(() =>
      Promise.reject(new EventStoreError({ code: 'TALLY_EVENTSTORE_UNAVAILABLE', endpoint: 'x' }, 'down')),
    );
    const hanging = failing(() => new Promise(() => undefined));
    try {
      for (const eventStore of [refusing, hanging]) {
        const app = await buildApp({
          eventStore,
          dataDir: dir.path,
          tokens: openTokenStore(dir.path),
          logger: pino({ level: 'silent' }),
          processMetrics: false,
          health: { timeoutMs: 200 },
        });
        const response = await app.inject({ url: '/healthz' });
        await app.close();
        assert.is(response.statusCode, 503);
        assert.is(response.json().status, 'unavailable');
        assert.is(response.json().eventStore.reachable, false);
      }
    } finally {
      await dir.cleanup();
    }
  }),
);

down.run();
