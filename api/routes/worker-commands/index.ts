/** `POST /api/workers/:name/drain`, `POST /api/workers/:name/resume` and `DELETE /api/workers/:name`. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { streams } from '../../../domain/shared/streams.ts';
import { workerDecider } from '../../../domain/worker/index.ts';
import { actorOf, runCommand } from '../../commands/run.ts';
import { drainWorkerSchema, removeWorkerSchema, resumeWorkerSchema } from './schemas.ts';

/** The routes differ only in method, path, schema and the command they send. */
const routes = [
  { method: 'POST', url: '/api/workers/:name/drain', schema: drainWorkerSchema, type: 'DrainWorker' },
  { method: 'POST', url: '/api/workers/:name/resume', schema: resumeWorkerSchema, type: 'ResumeWorker' },
  { method: 'DELETE', url: '/api/workers/:name', schema: removeWorkerSchema, type: 'RemoveWorker' },
] as const;

const workerCommands: FastifyPluginAsyncTypebox = async (fastify) => {
  for (const { method, url, schema, type } of routes) {
    fastify.route({
      method,
      url,
      schema,
      handler: async (request, reply) => {
        const { name } = request.params;
        const command = { type, name, actor: actorOf(request), at: new Date().toISOString() };
        return runCommand(fastify, request, reply, workerDecider, streams.worker(name), command);
      },
    });
  }
};

export default workerCommands;
