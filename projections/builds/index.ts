/**
 * The builds read model: `{ projection, queries }`.
 */
import type { BuildEvent } from '../../domain/build/events.ts';
import type { EvaluationBuildsReused } from '../../domain/evaluation/events.ts';
import type { TallyEvent } from '../../domain/events.ts';
import type { Projection } from '../runtime/projection.ts';
import { foldingReusedBuilds } from '../shared/reused-builds.ts';
import { evolveBuilds } from './evolve.ts';
import { toHydraJson } from './hydra.ts';
import { getBuild, searchBuilds } from './queries.ts';
import { type BuildsState, initialBuildsState } from './state.ts';

export type * from './hydra.ts';
export type * from './queries.ts';
export type * from './state.ts';

const buildEventTypes = new Set<string>([
  'BuildQueued',
  'BuildWanted',
  'BuildSubstituted',
  'BuildDispatched',
  'BuildStarted',
  'BuildLogStored',
  'BuildSucceeded',
  'BuildFailed',
  'BuildCancelled',
  'BuildRestarted',
  'BuildRequeued',
  'BuildResultIgnored',
  // Its builds' wants, folded as BuildWanted (`foldingReusedBuilds`).
  'EvaluationBuildsReused',
] satisfies (BuildEvent | EvaluationBuildsReused)['type'][]);

const evolve = foldingReusedBuilds(evolveBuilds);

/** Every build with its attempts, outputs and wanting jobs. */
export const buildsProjection: Projection<BuildsState, TallyEvent> = {
  name: 'builds',
  version: 2,
  repeatsStrings: true,
  canHandle: (type) => buildEventTypes.has(type),
  initialState: initialBuildsState,
  evolve: (state, projected) => evolve(state, projected as Parameters<typeof evolve>[1]),
};

export const buildsQueries = { getBuild, searchBuilds, toHydraJson };

export const builds = { projection: buildsProjection, queries: buildsQueries };
