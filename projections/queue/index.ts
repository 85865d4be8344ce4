/**
 * The queue read model: runnable and blocked builds per system and priority, with what each waits on.
 */
import type { BuildEvent } from '../../domain/build/events.ts';
import type { EvaluationBuildsReused } from '../../domain/evaluation/events.ts';
import type { Projection } from '../runtime/projection.ts';
import { foldingReusedBuilds } from '../shared/reused-builds.ts';
import { evolveQueue } from './evolve.ts';
import { blockedBy, listQueue, queueSummary } from './queries.ts';
import { initialQueueState, type QueueState } from './state.ts';

export * from './queries.ts';
export type { QueueBuild, QueueBuildStatus, QueueState } from './state.ts';

const handled = new Set<string>([
  'BuildQueued',
  'BuildWanted',
  'BuildSubstituted',
  'BuildDispatched',
  'BuildStarted',
  'BuildSucceeded',
  'BuildFailed',
  'BuildCancelled',
  'BuildRestarted',
  'BuildRequeued',
  // Its builds' wants, folded as BuildWanted (`foldingReusedBuilds`): a priority may rise.
  'EvaluationBuildsReused',
] satisfies (BuildEvent | EvaluationBuildsReused)['type'][]);

export const queueProjection: Projection<QueueState, BuildEvent | EvaluationBuildsReused> = {
  name: 'queue',
  // 4: a restarted build that had succeeded makes its queued dependents wait for it again.
  version: 4,
  canHandle: (type) => handled.has(type),
  initialState: initialQueueState,
  evolve: foldingReusedBuilds(evolveQueue),
};

/** The queue read model: its projection and the queries over its state. */
export const queue = {
  projection: queueProjection,
  queries: { queueSummary, listQueue, blockedBy },
} as const;
