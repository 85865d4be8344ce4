/**
 * `POST /api/evaluations/:id/cancel` (abort) and `POST /api/evaluations/:id/restart-failed`: one
 * `RestartBuild` per build of the evaluation's jobs that has failed, each appended at the revision its
 * failure was read at; a build brought back meanwhile (by the farm, when the failed dependency it
 * failed with was restarted first) is reported as such, not restarted twice.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { EventStore } from '../../../adapters/eventstore/event-store.ts';
import { readDomainEvent } from '../../../adapters/eventstore/read-domain-event.ts';
import { evaluationDecider } from '../../../domain/evaluation/index.ts';
import { DomainError } from '../../../domain/shared/errors.ts';
import { drvHashPart, streams } from '../../../domain/shared/streams.ts';
import { actorOf, refuseIfMatch, runCommand, settle } from '../../commands/run.ts';
import { restartIfFailed } from './restart-if-failed.ts';
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
      const requeued = [];
      const skipped = [];
      let position: number | undefined;
      for (const drvPath of await jobDrvPaths(fastify.eventStore, id)) {
        const hash = drvHashPart(drvPath);
        if (!hash) continue;
        const restarted = await restartIfFailed(fastify.eventStore, drvPath, why, actor, String(request.id));
        if (restarted === 'not-failed') continue;
        if (restarted === 'requeued') requeued.push(hash);
        else if (restarted === 'skipped') skipped.push(hash);
        else {
          position = Math.max(position ?? restarted.position, restarted.position);
          builds.push({ id: hash, drvPath, revision: restarted.revision, position: restarted.position });
        }
      }
      await settle(fastify, reply, position);
      return {
        evaluationId: id,
        restarted: builds.length,
        builds,
        requeued,
        skipped,
        position: position ?? null,
      };
    },
  );
};

export default evaluationCommands;
