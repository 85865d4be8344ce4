/**
 * Whether a specification is registered, as of `at`: the evaluations read model knows only those
 * evaluated, so one registered but never evaluated is looked up in the jobsets read model.
 */
import type { FastifyInstance } from 'fastify';
import { own } from '../../domain/shared/own.ts';
import type { EvaluationsState } from '../../projections/evaluations/index.ts';
import { type JobsetsState, jobsetsProjection } from '../../projections/jobsets/index.ts';

export async function specRegistered(
  fastify: FastifyInstance,
  evaluations: EvaluationsState,
  name: string,
  at: number | undefined,
): Promise<boolean> {
  if (own(evaluations.bySpec, name) !== undefined) return true;
  return own((await fastify.readModel<JobsetsState>(jobsetsProjection, at)).state.specs, name) !== undefined;
}
