/**
 * `GET /api/evaluations/:id`, `GET /api/evaluations/:id/jobs?status=`, and
 * `GET /api/evaluations/:id/notifications` (read from the notification streams themselves).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DomainError } from '../../../domain/shared/errors.ts';
import { type EvaluationsState, evaluationsProjection } from '../../../projections/evaluations/index.ts';
import { evaluationJobs, getEvaluation } from '../../../projections/evaluations/queries.ts';
import { type JobsetsState, jobsetsProjection } from '../../../projections/jobsets/index.ts';
import { positionHeader } from '../../read-models/schemas.ts';
import { notificationDeliveries } from './deliveries.ts';
import { evaluationJobsSchema, evaluationNotificationsSchema, getEvaluationSchema } from './schemas.ts';

const notFound = (id: string) => new DomainError('TALLY_EVALUATION_NOT_FOUND', `no evaluation ${id}`);

const evaluations: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/api/evaluations/:id', { schema: getEvaluationSchema }, async (request, reply) => {
    const { state, position } = await fastify.readModel<EvaluationsState>(
      evaluationsProjection,
      request.query.at,
    );
    reply.header(positionHeader, position);
    const evaluation = getEvaluation(state, request.params.id);
    if (!evaluation) throw notFound(request.params.id);
    return evaluation;
  });

  fastify.get(
    '/api/evaluations/:id/notifications',
    { schema: evaluationNotificationsSchema },
    async (request, reply) => {
      const evaluations = await fastify.readModel<EvaluationsState>(evaluationsProjection);
      const evaluation = getEvaluation(evaluations.state, request.params.id);
      if (!evaluation) throw notFound(request.params.id);
      const jobsets = await fastify.readModel<JobsetsState>(jobsetsProjection);
      reply.header(positionHeader, evaluations.position);
      const targets = jobsets.state.specs[evaluation.spec]?.definition.notifications ?? [];
      return { notifications: await notificationDeliveries(fastify.eventStore, evaluation.id, targets) };
    },
  );

  fastify.get('/api/evaluations/:id/jobs', { schema: evaluationJobsSchema }, async (request, reply) => {
    const { status, limit, cursor, at } = request.query;
    const { state, position } = await fastify.readModel<EvaluationsState>(evaluationsProjection, at);
    reply.header(positionHeader, position);
    const page = evaluationJobs(state, request.params.id, {
      limit,
      ...(status === undefined ? {} : { status }),
      ...(cursor === undefined ? {} : { cursor }),
    });
    if (!page) throw notFound(request.params.id);
    return page;
  });
};

export default evaluations;
