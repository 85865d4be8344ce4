/**
 * The jobsets read model: `{ projection, queries }`.
 */
import type { TallyEvent } from '../../domain/events.ts';
import type { Projection } from '../runtime/projection.ts';
import { evolveJobsets } from './evolve.ts';
import { getSpec, jobWeather, listSpecs } from './queries.ts';
import { initialJobsetsState, type JobsetsState } from './state.ts';

export type * from './queries.ts';
export type * from './state.ts';

const handled = new Set<string>([
  'SpecificationRegistered',
  'SpecificationUpdated',
  'SpecificationDeactivated',
  'SpecificationActivated',
  'SpecificationRemoved',
  'CheckoutDetected',
  'PollFailed',
  'PollRecovered',
  'BranchDeleted',
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

/** Specifications with their channels, last evaluation, and job counts and weather per line. */
export const jobsetsProjection: Projection<JobsetsState, TallyEvent> = {
  name: 'jobsets',
  // 6: a channel with no checkout takes its last one from an evaluation's request (a specification
  // registered again); a removed specification's running evaluations are forgotten with it. 7: each
  // branch of a pattern channel is a line of its own, with its own latest evaluations and weather.
  version: 7,
  canHandle: (type) => handled.has(type),
  initialState: initialJobsetsState,
  evolve: evolveJobsets,
};

export const jobsetsQueries = { listSpecs, getSpec, jobWeather };

export const jobsets = { projection: jobsetsProjection, queries: jobsetsQueries };
