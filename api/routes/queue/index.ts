/**
 * `GET /api/queue`: the queue read model's counts, and a page of one system's queue. Each lane says
 * how many workers could take its builds now, from the workers read model as of the same time, and
 * the systems with builds queued that no such worker builds are named: their builds wait for one to
 * connect, which nothing else on the queue would say.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  decodeCursor,
  listQueue,
  type QueueState,
  queueProjection,
  queueSummary,
} from '../../../projections/queue/index.ts';
import { type WorkersState, workersBySystem, workersProjection } from '../../../projections/workers/index.ts';
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
    const { state: workers } = await fastify.readModel<WorkersState>(workersProjection, at);
    const served = workersBySystem(workers);
    const counted = queueSummary(state, now);
    const lanes = counted.lanes.map((lane) => ({ ...lane, workers: served.get(lane.system) ?? 0 }));
    const unserved = [...new Set(lanes.filter((lane) => lane.workers === 0).map((lane) => lane.system))];
    const summary = { ...counted, lanes, unserved };
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
