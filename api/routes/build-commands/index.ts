/** `POST /api/builds/:id/restart` and `/cancel`, `:id` being the hash part of the derivation path. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { EventStore } from '../../../adapters/eventstore/event-store.ts';
import { buildDecider } from '../../../domain/build/index.ts';
import { DomainError } from '../../../domain/shared/errors.ts';
import { actorOf, readState, runCommand } from '../../commands/run.ts';
import { cancelBuildSchema, restartBuildSchema } from './schemas.ts';

/** The derivation path of the build `build-<hash>`; 404 for a build never queued. */
export async function drvPathOf(store: EventStore, hash: string): Promise<string> {
  const { state } = await readState(store, buildDecider, `build-${hash}`);
  if (state.status === 'none') throw new DomainError('TALLY_BUILD_NOT_FOUND', `No build ${hash} was queued`);
  return state.drvPath;
}

const buildCommands: FastifyPluginAsyncTypebox = async (fastify) => {
  for (const [action, type, schema] of [
    ['restart', 'RestartBuild', restartBuildSchema],
    ['cancel', 'CancelBuild', cancelBuildSchema],
  ] as const) {
    fastify.post(`/api/builds/:id/${action}`, { schema }, async (request, reply) => {
      const { id } = request.params;
      const drvPath = await drvPathOf(fastify.eventStore, id);
      const why = request.body?.why === undefined ? {} : { why: request.body.why };
      const command = { type, drvPath, ...why, actor: actorOf(request), at: new Date().toISOString() };
      return runCommand(fastify, request, reply, buildDecider, `build-${id}`, command);
    });
  }
};

export default buildCommands;
