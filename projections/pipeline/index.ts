/**
 * The pipeline projection: the working memory of the farm's own processes (see `state.ts`).
 */
import { eventRegistry } from '../../domain/events.ts';
import type { Projection } from '../runtime/projection.ts';
import { foldingReusedBuilds } from '../shared/reused-builds.ts';
import { evolvePipeline, type PipelineEvent } from './evolve.ts';
import { initialPipelineState, type PipelineState } from './state.ts';

export type { PipelineEvent } from './evolve.ts';
export * from './state.ts';

const prefixes = ['Build', 'Evaluation', 'Specification'];
/** Asked of every event in a replay: a set lookup rather than a search of the registry and prefixes. */
const handled = new Set(
  Object.keys(eventRegistry).filter((type) => prefixes.some((p) => type.startsWith(p))),
);

export const pipelineProjection: Projection<PipelineState, PipelineEvent> = {
  name: 'pipeline',
  // 2: a removed specification's unfinished evaluations are dropped.
  version: 2,
  canHandle: (type) => handled.has(type),
  initialState: initialPipelineState,
  // An evaluation's reused builds are folded as their BuildWanted events.
  evolve: foldingReusedBuilds(evolvePipeline),
};
