/** `GET /api/metrics`: the metrics read model as JSON. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type MetricsState, metricsProjection, metricsSummary } from '../../../projections/metrics/index.ts';
import { positionHeader } from '../../read-models/schemas.ts';
import { metricsSchema } from './schemas.ts';

const metricsRead: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/api/metrics', { schema: metricsSchema }, async (request, reply) => {
    const { state, position } = await fastify.readModel<MetricsState>(metricsProjection, request.query.at);
    reply.header(positionHeader, position);
    // The series end at the latest build or evaluation event; before there is one, today.
    const now = state.lastAt === 0 ? { now: Date.now() } : {};
    return metricsSummary(state, { days: request.query.days, ...now });
  });
};

export default metricsRead;
