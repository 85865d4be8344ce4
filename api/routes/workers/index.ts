/** `GET /api/workers` and `GET /api/workers/:name`: the workers read model. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DomainError } from '../../../domain/shared/errors.ts';
import {
  getWorker,
  listWorkers,
  type WorkersState,
  workersProjection,
} from '../../../projections/workers/index.ts';
import { positionHeader } from '../../read-models/schemas.ts';
import { getWorkerSchema, listWorkersSchema } from './schemas.ts';

/**
 * Live, the utilisation windows end now: a worker busy for hours with no event since shows busy. As of
 * a position, they end at that position's last event, as the rest of the answer does.
 */
const windowsEnd = (at: number | undefined) => (at === undefined ? { now: Date.now() } : {});

const workers: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/api/workers', { schema: listWorkersSchema }, async (request, reply) => {
    const { state, position } = await fastify.readModel<WorkersState>(workersProjection, request.query.at);
    reply.header(positionHeader, position);
    return { workers: listWorkers(state, windowsEnd(request.query.at)) };
  });

  fastify.get('/api/workers/:name', { schema: getWorkerSchema }, async (request, reply) => {
    const { state, position } = await fastify.readModel<WorkersState>(workersProjection, request.query.at);
    reply.header(positionHeader, position);
    const worker = getWorker(state, request.params.name, windowsEnd(request.query.at));
    if (!worker) throw new DomainError('TALLY_WORKER_NOT_FOUND', `no worker ${request.params.name}`);
    return worker;
  });
};

export default workers;
