/**
 * `GET /api/builds`, `/api/builds/:id` and `/api/builds/:id/log`. A log is read from the store by the
 * build's derivation and the attempt's number, while the build runs (it grows; `X-Tally-Log-Live`
 * says so) and after; with `follow` a live log is streamed as it grows until its attempt ends. A
 * server without a log store answers `TALLY_API_LOG_NOT_STORED`.
 */
import type { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { DomainError } from '../../../domain/shared/errors.ts';
import { type BuildsState, buildsProjection } from '../../../projections/builds/index.ts';
import { getBuild, getBuildEntry, searchBuildEntries } from '../../../projections/builds/queries.ts';
import type { BuildStatus } from '../../../projections/builds/state.ts';
import { ApiError } from '../../problem.ts';
import { positionHeader } from '../../read-models/schemas.ts';
import { type BuildSerializer, createBuildJsonCache } from './build-json.ts';
import { buildLogSchema, getBuildSchema, HydraBuild, searchBuildsSchema } from './schemas.ts';

/** Where the route reads logs: the store's `readLog`. */
export interface BuildLogSource {
  readLog(
    drvPath: string,
    attempt?: number,
    options?: { readonly follow?: boolean },
  ): Promise<{ stream: Readable; live: boolean } | undefined>;
}

/** `?follow=1` (or `true`): stream a live log until its attempt ends. */
const followLogSchema = {
  ...buildLogSchema,
  querystring: Type.Object({
    ...buildLogSchema.querystring.properties,
    // An enum rather than a union of constants: a refusal then lists the values allowed.
    follow: Type.Optional(
      Type.Unsafe<'1' | 'true' | '0' | 'false'>({ type: 'string', enum: ['1', 'true', '0', 'false'] }),
    ),
  }),
};

const notFound = (id: string) => new DomainError('TALLY_BUILD_NOT_FOUND', `no build ${id}`);

/** Why a build that ended had no attempt, for the log route's answer. */
function neverRan(status: BuildStatus): string {
  if (status === 'substituted') return 'its outputs came from a cache';
  if (status === 'cancelled') return 'it was cancelled before a worker took it';
  return 'it failed before a worker took it: see its failure in /api/builds/ID';
}

const builds: FastifyPluginAsyncTypebox<{ readonly logs?: BuildLogSource | undefined }> = async (
  fastify,
  options,
) => {
  // Both routes send builds as the HydraBuild schema writes them: the texts are written once per record
  // by that schema's serializer and sent as they are (Fastify sends a JSON string without serializing it).
  // So the 200 schemas describe these bodies (and the OpenAPI document shows them) but no longer write
  // them: a change to HydraBuild applies through its serializer, a change to the page's shape (a field
  // beside `builds`) must be made in the list's handler too, and `preSerialization` hooks do not run.
  const texts = createBuildJsonCache();
  const json = 'application/json; charset=utf-8';
  const serializerOf = (reply: FastifyReply) =>
    reply.compileSerializationSchema(HydraBuild as never) as unknown as BuildSerializer;

  fastify.get('/api/builds', { schema: searchBuildsSchema }, async (request, reply) => {
    const { at, ...filters } = request.query;
    const { state, position } = await fastify.readModel<BuildsState>(buildsProjection, at);
    reply.header(positionHeader, position);
    const page = searchBuildEntries(state, filters);
    const serialize = serializerOf(reply);
    // Hydra's and Cuirass's clients read list items as they read a single build.
    const builds = page.entries.map((entry) => texts.textOf(entry, serialize)).join(',');
    const cursor = page.nextCursor === undefined ? '' : `,"nextCursor":${page.nextCursor}`;
    // Typed as the schema's object; the text is that object as the schema writes it.
    return reply.type(json).send(`{"builds":[${builds}]${cursor}}` as never);
  });

  fastify.get('/api/builds/:id', { schema: getBuildSchema }, async (request, reply) => {
    const { state, position } = await fastify.readModel<BuildsState>(buildsProjection, request.query.at);
    reply.header(positionHeader, position);
    const entry = getBuildEntry(state, request.params.id);
    if (!entry) throw notFound(request.params.id);
    return reply.type(json).send(texts.textOf(entry, serializerOf(reply)) as never);
  });

  fastify.get('/api/builds/:id/log', { schema: followLogSchema }, async (request, reply) => {
    const { id } = request.params;
    const { state, position } = await fastify.readModel<BuildsState>(buildsProjection, request.query.at);
    reply.header(positionHeader, position);
    const build = getBuild(state, id);
    if (!build) throw notFound(id);
    const number = request.query.attempt ?? build.attempts.length;
    const attempt = build.attempts.find((candidate) => candidate.number === number);
    if (!attempt) {
      const why =
        build.attempts.length > 0
          ? `has no attempt ${number}: its attempts are 1 to ${build.attempts.length}`
          : build.status === 'queued'
            ? 'has not been attempted yet: its log appears once a worker starts it'
            : `ended ${build.status} without any attempt (${neverRan(build.status)}), so it has no log`;
      throw new ApiError('TALLY_API_LOG_NOT_STORED', `build ${id} ${why}`);
    }
    const follow = request.query.follow === '1' || request.query.follow === 'true';
    const log = await options.logs?.readLog(build.drvPath, number, { follow });
    if (!log) {
      const why = options.logs ? 'has written no log yet' : 'cannot be read: this server has no log store';
      throw new ApiError('TALLY_API_LOG_NOT_STORED', `attempt ${number} of build ${id} ${why}`);
    }
    return (
      reply
        .header('content-type', 'text/plain; charset=utf-8')
        .header('x-tally-log-live', String(log.live))
        .header('x-tally-log-attempt', String(number))
        // A stream is sent as it is read (Fastify does not serialise streams): the schema's string is its text.
        .send(log.stream as never)
    );
  });
};

export default builds;
