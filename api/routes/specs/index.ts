/** `GET /api/specs`, `/api/specs/:name` and `/api/specs/:name/evaluations`. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DomainError } from '../../../domain/shared/errors.ts';
import { own } from '../../../domain/shared/own.ts';
import { type EvaluationsState, evaluationsProjection } from '../../../projections/evaluations/index.ts';
import { listEvaluations } from '../../../projections/evaluations/queries.ts';
import { type JobsetsState, jobsetsProjection } from '../../../projections/jobsets/index.ts';
import { getSpec, jobWeather, listSpecs } from '../../../projections/jobsets/queries.ts';
import { positionHeader } from '../../read-models/schemas.ts';
import { specRegistered } from '../../read-models/spec-registered.ts';
import { getSpecSchema, listSpecsSchema, specEvaluationsSchema } from './schemas.ts';

const specs: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/api/specs', { schema: listSpecsSchema }, async (request, reply) => {
    const { state, position } = await fastify.readModel<JobsetsState>(jobsetsProjection, request.query.at);
    reply.header(positionHeader, position);
    return { specs: listSpecs(state) };
  });

  fastify.get('/api/specs/:name', { schema: getSpecSchema }, async (request, reply) => {
    const { name } = request.params;
    const { line, at } = request.query;
    const { state, position } = await fastify.readModel<JobsetsState>(jobsetsProjection, at);
    reply.header(positionHeader, position);
    const spec = getSpec(state, name);
    if (!spec) throw new DomainError('TALLY_SPEC_NOT_FOUND', `no specification ${name}`);
    const jobs = jobWeather(state, name, line);
    if (!jobs) throw new DomainError('TALLY_LINE_NOT_FOUND', `no line ${JSON.stringify(line)} of ${name}`);
    // The revision as an entity tag: a client sends it back as If-Match to change this specification.
    reply.header('etag', `"${spec.revision}"`);
    return { spec, jobs };
  });

  fastify.get('/api/specs/:name/evaluations', { schema: specEvaluationsSchema }, async (request, reply) => {
    const { name } = request.params;
    const { limit, before, at } = request.query;
    const { state, position } = await fastify.readModel<EvaluationsState>(evaluationsProjection, at);
    reply.header(positionHeader, position);
    const ids = own(state.bySpec, name);
    if (!ids && !(await specRegistered(fastify, state, name, at)))
      throw new DomainError('TALLY_SPEC_NOT_FOUND', `no specification ${name}`);
    if (before !== undefined && !ids?.includes(before))
      throw new DomainError('TALLY_EVALUATION_NOT_FOUND', `no evaluation ${before} of ${name}`);
    if (!ids) return { evaluations: [] };
    return listEvaluations(state, name, { limit, ...(before === undefined ? {} : { before }) });
  });
};

export default specs;
