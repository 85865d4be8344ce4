/**
 * Every read model the server keeps live, in the order the runtime folds them. `tally replay` and the
 * server use this one list, so what is replayed is what is served.
 */
import type { TallyEvent } from '../domain/events.ts';
import { buildsProjection } from './builds/index.ts';
import { evaluationsProjection } from './evaluations/index.ts';
import { jobsetsProjection } from './jobsets/index.ts';
import { metricsProjection } from './metrics/index.ts';
import { pipelineProjection } from './pipeline/index.ts';
import { queueProjection } from './queue/index.ts';
import type { AnyProjection } from './runtime/projection.ts';
import { workersProjection } from './workers/index.ts';

export const allProjections: readonly AnyProjection<TallyEvent>[] = [
  queueProjection,
  workersProjection,
  metricsProjection,
  jobsetsProjection,
  evaluationsProjection,
  buildsProjection,
  pipelineProjection,
];
