/**
 * `POST /api/evaluations/:id/cancel` (abort) and `POST /api/evaluations/:id/restart-failed`: one
 * `RestartBuild` per build of the evaluation's jobs that has failed, each appended at the revision its
 * failure was read at, so a build someone else touched meanwhile is left alone (and reported).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { handleCommand } from '../../../adapters/eventstore/command-handler.ts';
import { isEventStoreError } from '../../../adapters/eventstore/errors.ts';
import type { EventStore } from '../../../adapters/eventstore/event-store.ts';
import { readDomainEvent } from '../../../adapters/eventstore/read-domain-event.ts';
import { buildDecider } from '../../../domain/build/index.ts';
import { evaluationDecider } from '../../../domain/evaluation/index.ts';
import { DomainError } from '../../../domain/shared/errors.ts';
import { drvHashPart, streams } from '../../../domain/shared/streams.ts';
import { actorOf, readState, refuseIfMatch, runCommand, settle } from '../../commands/run.ts';
import { cancelEvaluationSchema, restartFailedIfMatch, restartFailedSchema } from './schemas.ts';

/** The derivation paths of an evaluation's jobs, each once; 404 for an evaluation never requested. */
async function jobDrvPaths(store: EventStore, evaluationId: string): Promise<string[]> {
  const paths = new Set<string>();
  let requested = false;
  for await (const recorded of store.readStream(streams.evaluation(evaluationId))) {
    const event = readDomainEvent(recorded);
    if (event.type === 'EvaluationRequested') requested = true;
    if (event.type === 'EvaluationJobsAdded') for (const job of event.data.jobs) paths.add(job.drvPath);
  }
  if (!requested)
    throw new DomainError('TALLY_EVALUATION_NOT_FOUND', `Evaluation ${evaluationId} was never requested`);
  return [...paths];
}

const evaluationCommands: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/api/evaluations/:id/cancel', { schema: cancelEvaluationSchema }, async (request, reply) => {
    const { id } = request.params;
    const actor = actorOf(request);
    const why = request.body?.why ?? `cancelled by ${actor}`;
    const command = {
      type: 'AbortEvaluation',
      evaluationId: id,
      why,
      actor,
      at: new Date().toISOString(),
    } as const;
    return runCommand(fastify, request, reply, evaluationDecider, streams.evaluation(id), command);
  });

  fastify.post(
    '/api/evaluations/:id/restart-failed',
    { schema: restartFailedSchema },
    async (request, reply) => {
      refuseIfMatch(request, restartFailedIfMatch);
      const { id } = request.params;
      const actor = actorOf(request);
      const why = { why: request.body?.why ?? `failed builds of evaluation ${id} restarted by ${actor}` };
      const builds = [];
      const skipped = [];
      let position: number | undefined;
      for (const drvPath of await jobDrvPaths(fastify.eventStore, id)) {
        const hash = drvHashPart(drvPath);
        if (!hash) continue;
        const stream = streams.build(drvPath);
        const { state, revision } = await readState(fastify.eventStore, buildDecider, stream);
        if (state.status !== 'failed') continue;
        const command = {
          type: 'RestartBuild',
          drvPath,
          ...why,
          actor,
          at: new Date().toISOString(),
        } as const;
        try {
          const result = await handleCommand(
            fastify.eventStore,
            buildDecider,
            stream,
            command,
            { cause: { kind: 'command', id: String(request.id) }, actor, at: command.at },
            { expectedRevision: revision },
          );
          if (result.position === undefined) continue;
          position = Math.max(position ?? result.position, result.position);
          builds.push({ id: hash, drvPath, revision: result.revision, position: result.position });
        } catch (error) {
          if (!isEventStoreError(error, 'TALLY_EVENTSTORE_WRONG_EXPECTED_REVISION')) throw error;
          skipped.push(hash);
        }
      }
      await settle(fastify, reply, position);
      return { evaluationId: id, restarted: builds.length, builds, skipped, position: position ?? null };
    },
  );
};

export default evaluationCommands;
