/**
 * The evaluations read model: `{ projection, queries }`.
 */
import type { TallyEvent } from '../../domain/events.ts';
import type { Projection } from '../runtime/projection.ts';
import { evolveEvaluations } from './evolve.ts';
import { evaluationJobs, getEvaluation, latestJob, listEvaluations } from './queries.ts';
import { type EvaluationsState, initialEvaluationsState } from './state.ts';

export type * from './queries.ts';
export type * from './state.ts';

const handled = new Set<string>([
  'SpecificationRemoved',
  'EvaluationRequested',
  'EvaluationStarted',
  'EvaluationJobsAdded',
  'EvaluationCompleted',
  'EvaluationFailed',
  'EvaluationAborted',
  'BuildQueued',
  'BuildSubstituted',
  'BuildDispatched',
  'BuildStarted',
  'BuildSucceeded',
  'BuildFailed',
  'BuildCancelled',
  'BuildRestarted',
  'BuildRequeued',
] satisfies TallyEvent['type'][]);

/** Evaluations per specification, with their jobs' build statuses. */
export const evaluationsProjection: Projection<EvaluationsState, TallyEvent> = {
  name: 'evaluations',
  // 6: a removed specification's list of evaluations is dropped. 7: a job with no build recorded is
  // `unscheduled`, not `queued`.
  version: 7,
  repeatsStrings: true,
  canHandle: (type) => handled.has(type),
  initialState: initialEvaluationsState,
  evolve: (state, projected) =>
    evolveEvaluations(state, projected as Parameters<typeof evolveEvaluations>[1]),
};

export const evaluationsQueries = { listEvaluations, getEvaluation, evaluationJobs, latestJob };

export const evaluations = { projection: evaluationsProjection, queries: evaluationsQueries };
