/**
 * `POST /api/builds/:id/restart` and `/cancel`, `:id` naming the build as `GET /api/builds/:id` takes
 * it: its integer id, the hash part of its derivation, or its `.drv` path.
 */

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { EventStore } from '../../../adapters/eventstore/event-store.ts';
import { buildDecider } from '../../../domain/build/index.ts';
import { DomainError } from '../../../domain/shared/errors.ts';
import { type BuildsState, buildsProjection } from '../../../projections/builds/index.ts';
import { parseBuildKey } from '../../../projections/builds/keys.ts';
import { hashOfKey } from '../../../projections/builds/queries.ts';
import { actorOf, readState, runCommand } from '../../commands/run.ts';
import { cancelBuildSchema, restartBuildSchema } from './schemas.ts';

/** The hash part of the build `id` names; 404 for a key that names none. */
async function hashOfBuild(fastify: FastifyInstance, id: string): Promise<string> {
  const key = parseBuildKey(id);
  if (key === undefined)
    throw new DomainError(
      'TALLY_BUILD_NOT_FOUND',
      `${JSON.stringify(id)} names no build: name one by its integer id, the hash part of its derivation or its .drv path`,
    );
  // A hash part names the build's stream by itself; integer ids are given by the builds read model.
  if ('hash' in key) return key.hash;
  const { state } = await fastify.readModel<BuildsState>(buildsProjection);
  const hash = hashOfKey(state, key);
  if (hash === undefined)
    throw new DomainError('TALLY_BUILD_NOT_FOUND', `No build has the id ${id} (GET /api/builds lists them)`);
  return hash;
}

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
      const hash = await hashOfBuild(fastify, request.params.id);
      const drvPath = await drvPathOf(fastify.eventStore, hash);
      const why = request.body?.why === undefined ? {} : { why: request.body.why };
      const command = { type, drvPath, ...why, actor: actorOf(request), at: new Date().toISOString() };
      return runCommand(fastify, request, reply, buildDecider, `build-${hash}`, command);
    });
  }
};

export default buildCommands;
