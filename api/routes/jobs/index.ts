/** `GET /api/jobs/:spec/:job/latest`: a job's latest completed result (Hydra's `/job/…/latest`). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DomainError } from '../../../domain/shared/errors.ts';
import { type EvaluationsState, evaluationsProjection } from '../../../projections/evaluations/index.ts';
import { latestJob } from '../../../projections/evaluations/queries.ts';
import { positionHeader } from '../../read-models/schemas.ts';
import { specRegistered } from '../../read-models/spec-registered.ts';
import { latestJobSchema } from './schemas.ts';

const jobs: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/api/jobs/:spec/:job/latest', { schema: latestJobSchema }, async (request, reply) => {
    const { spec, job } = request.params;
    const { state, position } = await fastify.readModel<EvaluationsState>(
      evaluationsProjection,
      request.query.at,
    );
    reply.header(positionHeader, position);
    const latest = latestJob(state, spec, job);
    if (latest) return latest;
    throw (await specRegistered(fastify, state, spec, request.query.at))
      ? new DomainError('TALLY_EVALUATION_NOT_FOUND', `no completed evaluation of ${spec} has the job ${job}`)
      : new DomainError('TALLY_SPEC_NOT_FOUND', `no specification ${spec}`);
  });
};

export default jobs;
