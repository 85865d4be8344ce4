/**
 * `POST /api/projections/save`: the server saves a snapshot of every read model that changed since its
 * last one, now, and answers each read model's position. `tally replay --verify` asks for it first,
 * so that what it compares with is the live state, not the state as the server last saved it.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ApiError, problemResponses } from '../../problem.ts';
import { list } from '../../read-models/schemas.ts';

const saveSchema = {
  summary: 'Save every read model that changed as its snapshot, now',
  tags: ['projections'],
  security: [{ bearer: [] }],
  response: {
    200: Type.Object({
      saved: list(Type.Object({ name: Type.String(), position: Type.Integer() }), {
        description: 'Every read model and the position its saved state stands at',
      }),
    }),
    ...problemResponses(401, 403, 500, 503),
  },
};

const projections: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/api/projections/save', { schema: saveSchema }, async () => {
    const runner = fastify.projections;
    if (!runner)
      throw new ApiError('TALLY_API_NOT_FOUND', 'this server keeps no read models of its own to save');
    return { saved: await runner.saveNow() };
  });
};

export default projections;
