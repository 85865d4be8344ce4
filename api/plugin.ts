/**
 * The Tally API as one Fastify plugin: the shared services first (errors, metrics, the event store,
 * authentication, OpenAPI), then one encapsulated plugin per resource. A read-model resource drops in
 * as one more `register` line at the end.
 */
import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import fp from 'fastify-plugin';
import type { EventStore } from '../adapters/eventstore/event-store.ts';
import type { ProjectionRunner } from '../projections/runtime/runner.ts';
import type { TokenStore } from './auth/token-store.ts';
import auth from './plugins/auth.ts';
import connections from './plugins/connections.ts';
import errors from './plugins/errors.ts';
import eventStore from './plugins/event-store.ts';
import finiteQuery from './plugins/finite-query.ts';
import metrics from './plugins/metrics.ts';
import openapi from './plugins/openapi.ts';
import readModels from './plugins/read-models.ts';
import requestLog from './plugins/request-log.ts';
import { ApiError } from './problem.ts';
import type { TimeTravelOptions } from './read-models/time-travel.ts';
import buildCommands from './routes/build-commands/index.ts';
import type { BuildLogSource } from './routes/builds/index.ts';
import builds from './routes/builds/index.ts';
import diff from './routes/diff/index.ts';
import evaluationCommands from './routes/evaluation-commands/index.ts';
import evaluations from './routes/evaluations/index.ts';
import events, { type EventsRouteOptions } from './routes/events/index.ts';
import health, { type HealthRouteOptions } from './routes/health/index.ts';
import history from './routes/history/index.ts';
import jobs from './routes/jobs/index.ts';
import metricsRead from './routes/metrics-read/index.ts';
import projectionCommands from './routes/projections/index.ts';
import queue from './routes/queue/index.ts';
import specCommands from './routes/spec-commands/index.ts';
import specs from './routes/specs/index.ts';
import workerCommands from './routes/worker-commands/index.ts';
import workers from './routes/workers/index.ts';

export interface TallyApiOptions {
  readonly eventStore: EventStore;
  readonly projections?: ProjectionRunner | undefined;
  readonly tokens: TokenStore;
  /** Shown in the OpenAPI document. */
  readonly version: string;
  /** Let anyone read without a token. Defaults to true. */
  readonly publicReads?: boolean;
  /** Path prefixes whose routes authenticate on their own (the binary cache's `/cache/`). */
  readonly authExemptPrefixes?: readonly string[];
  readonly liveFeed?: EventsRouteOptions;
  readonly health?: HealthRouteOptions;
  /** Collect Node's process metrics too. Defaults to true. */
  readonly processMetrics?: boolean;
  /** Where build logs are read (the store); without it a stored log is answered as not available. */
  readonly logs?: BuildLogSource | undefined;
  /** Bounds on `?at=` replays (events per request, states kept). */
  readonly timeTravel?: TimeTravelOptions;
}

const api: FastifyPluginAsyncTypebox<TallyApiOptions> = async (fastify, options) => {
  await fastify.register(errors);
  await fastify.register(requestLog);
  await fastify.register(connections);
  await fastify.register(metrics, {
    projections: options.projections,
    processMetrics: options.processMetrics ?? true,
  });
  await fastify.register(eventStore, { eventStore: options.eventStore, projections: options.projections });
  await fastify.register(readModels, options.timeTravel ?? {});
  await fastify.register(finiteQuery);
  await fastify.register(auth, {
    tokens: options.tokens,
    publicReads: options.publicReads ?? true,
    exemptPrefixes: options.authExemptPrefixes ?? [],
  });
  await fastify.register(openapi, { version: options.version });
  // A callback rather than an async hook: no promise per response on the busiest routes. Every
  // response carries its request id. HEAD asks for the headers alone: Fastify reads a stream body to
  // its end to discard it, and a live feed or a followed log has no end, so it is closed unread.
  fastify.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    if (request.method !== 'HEAD' || !(payload instanceof Readable)) return done(null, payload);
    payload.destroy();
    done(null, Readable.from([]));
  });

  // Bodies are read as sent: one compressed on the way (`Content-Encoding: gzip`) would be parsed as
  // if it were not, so it is refused before it is read.
  // Only the API's routes: the binary cache takes its uploads as bytes and answers in its own words.
  fastify.addHook('preParsing', (request, _reply, payload, done) => {
    const encoding = request.headers['content-encoding'];
    if (
      encoding === undefined ||
      encoding.trim().toLowerCase() === 'identity' ||
      !request.routeOptions.url?.startsWith('/api/')
    )
      return done(null, payload);
    done(
      new ApiError(
        'TALLY_API_UNSUPPORTED_MEDIA_TYPE',
        `Content-Encoding ${JSON.stringify(encoding)} is not accepted: send the body uncompressed`,
      ),
    );
  });

  await fastify.register(health, options.health ?? {});
  await fastify.register(history);
  await fastify.register(events, options.liveFeed ?? {});
  await fastify.register(queue);
  await fastify.register(workers);
  await fastify.register(metricsRead);
  await fastify.register(specs);
  await fastify.register(evaluations);
  await fastify.register(jobs);
  await fastify.register(diff);
  await fastify.register(builds, { logs: options.logs });
  await fastify.register(specCommands);
  await fastify.register(buildCommands);
  await fastify.register(evaluationCommands);
  await fastify.register(workerCommands);
  await fastify.register(projectionCommands);
};

/**
 * Not encapsulated (like fastify/demo's app plugin), so the error handler, hooks and decorators also
 * govern routes the composition root adds beside it (the binary cache).
 */
export const tallyApi = fp(api, { name: 'tally-api', fastify: '5.x' });
