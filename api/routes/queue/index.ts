/** `GET /api/queue`: the queue read model's counts, and a page of one system's queue. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  decodeCursor,
  listQueue,
  type QueueState,
  queueProjection,
  queueSummary,
} from '../../../projections/queue/index.ts';
import { ApiError } from '../../problem.ts';
import { positionHeader } from '../../read-models/schemas.ts';
import { queueSchema } from './schemas.ts';

const queue: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/api/queue', { schema: queueSchema }, async (request, reply) => {
    const { system, runnable, limit, cursor, at } = request.query;
    if (cursor !== undefined && decodeCursor(cursor) === undefined)
      throw new ApiError(
        'TALLY_API_INVALID_REQUEST',
        'cursor is not one this server wrote',
        'querystring.cursor',
      );
    const { state, position } = await fastify.readModel<QueueState>(queueProjection, at);
    reply.header(positionHeader, position);
    // Live, a back-off ends by the clock, even while no event arrives; as of a position, by its events.
    const now = at === undefined ? { now: Date.now() } : {};
    const summary = queueSummary(state, now);
    if (system === undefined) return summary;
    const page = listQueue(state, {
      ...now,
      system,
      limit,
      ...(runnable === undefined ? {} : { runnable }),
      ...(cursor === undefined ? {} : { cursor }),
    });
    return { ...summary, items: page.items, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  });
};

export default queue;
