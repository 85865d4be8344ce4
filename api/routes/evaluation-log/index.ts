/** `GET /api/evaluations/:id/log`: what the evaluator wrote, kept when an evaluation failed. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { readEvaluationLog } from '../../../adapters/pipeline/evaluation-runner/evaluation-logs.ts';
import { ApiError, problemResponses } from '../../problem.ts';

const evaluationLogSchema = {
  summary: "An evaluation's log (kept for failed evaluations)",
  tags: ['evaluations'],
  produces: ['text/plain'],
  params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) }),
  response: {
    200: Type.String({ description: 'The log, as text' }),
    ...problemResponses(400, 404, 500),
  },
};

export const evaluationLogRoutes: FastifyPluginAsyncTypebox<{ readonly dataDir: string }> = async (
  fastify,
  options,
) => {
  fastify.get('/api/evaluations/:id/log', { schema: evaluationLogSchema }, async (request, reply) => {
    const log = await readEvaluationLog(options.dataDir, request.params.id);
    if (log === undefined)
      throw new ApiError(
        'TALLY_API_LOG_NOT_STORED',
        `evaluation ${request.params.id} has no log: only failed evaluations keep one`,
      );
    return reply.header('content-type', 'text/plain; charset=utf-8').send(log);
  });
};
