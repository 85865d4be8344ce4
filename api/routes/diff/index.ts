/** `GET /api/diff?from=EVAL&to=EVAL`: the branch-diff query over the evaluations read model. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { diffEvaluations } from '../../../projections/branch-diff/diff.ts';
import { type EvaluationsState, evaluationsProjection } from '../../../projections/evaluations/index.ts';
import { positionHeader } from '../../read-models/schemas.ts';
import { diffSchema } from './schemas.ts';

const diff: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/api/diff', { schema: diffSchema }, async (request, reply) => {
    const { from, to, at } = request.query;
    const { state, position } = await fastify.readModel<EvaluationsState>(evaluationsProjection, at);
    reply.header(positionHeader, position);
    const result = diffEvaluations(state, from, to);
    if (!result.ok) throw result.error;
    return result.diff;
  });
};

export default diff;
