/** `POST /api/workers/:name/drain` and `DELETE /api/workers/:name`. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { streams } from '../../../domain/shared/streams.ts';
import { workerDecider } from '../../../domain/worker/index.ts';
import { actorOf, runCommand } from '../../commands/run.ts';
import { drainWorkerSchema, removeWorkerSchema } from './schemas.ts';

const workerCommands: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/api/workers/:name/drain', { schema: drainWorkerSchema }, async (request, reply) => {
    const { name } = request.params;
    const command = {
      type: 'DrainWorker',
      name,
      actor: actorOf(request),
      at: new Date().toISOString(),
    } as const;
    return runCommand(fastify, request, reply, workerDecider, streams.worker(name), command);
  });

  fastify.delete('/api/workers/:name', { schema: removeWorkerSchema }, async (request, reply) => {
    const { name } = request.params;
    const command = {
      type: 'RemoveWorker',
      name,
      actor: actorOf(request),
      at: new Date().toISOString(),
    } as const;
    return runCommand(fastify, request, reply, workerDecider, streams.worker(name), command);
  });
};

export default workerCommands;
