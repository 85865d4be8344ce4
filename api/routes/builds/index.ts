/**
 * `GET /api/builds`, `/api/builds/:id` and `/api/builds/:id/log`. Logs are found through the builds
 * read model (each attempt's `logRef`); this server has no log store wired into the app yet, so a log
 * it knows of is answered with `TALLY_API_LOG_NOT_STORED` rather than a guess.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DomainError } from '../../../domain/shared/errors.ts';
import { toHydraJson } from '../../../projections/builds/hydra.ts';
import { type BuildsState, buildsProjection } from '../../../projections/builds/index.ts';
import { getBuild, searchBuilds } from '../../../projections/builds/queries.ts';
import { ApiError } from '../../problem.ts';
import { positionHeader } from '../../read-models/schemas.ts';
import { buildLogSchema, getBuildSchema, searchBuildsSchema } from './schemas.ts';

const notFound = (id: string) => new DomainError('TALLY_BUILD_NOT_FOUND', `no build ${id}`);

const builds: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/api/builds', { schema: searchBuildsSchema }, async (request, reply) => {
    const { at, ...filters } = request.query;
    const { state, position } = await fastify.readModel<BuildsState>(buildsProjection, at);
    reply.header(positionHeader, position);
    return searchBuilds(state, filters);
  });

  fastify.get('/api/builds/:id', { schema: getBuildSchema }, async (request, reply) => {
    const { state, position } = await fastify.readModel<BuildsState>(buildsProjection, request.query.at);
    reply.header(positionHeader, position);
    const build = getBuild(state, request.params.id);
    if (!build) throw notFound(request.params.id);
    return toHydraJson(build);
  });

  fastify.get('/api/builds/:id/log', { schema: buildLogSchema }, async (request, reply) => {
    const { id } = request.params;
    const { state, position } = await fastify.readModel<BuildsState>(buildsProjection, request.query.at);
    reply.header(positionHeader, position);
    const build = getBuild(state, id);
    if (!build) throw notFound(id);
    const number = request.query.attempt ?? build.attempts.length;
    const attempt = build.attempts.find((candidate) => candidate.number === number);
    if (!attempt) throw new ApiError('TALLY_API_LOG_NOT_STORED', `build ${id} has no attempt ${number}`);
    if (attempt.logRef === undefined)
      throw new ApiError('TALLY_API_LOG_NOT_STORED', `attempt ${number} of build ${id} stored no log`);
    throw new ApiError(
      'TALLY_API_LOG_NOT_STORED',
      `attempt ${number} of build ${id} logged to ${attempt.logRef}, but no log store is wired into this server`,
    );
  });
};

export default builds;
