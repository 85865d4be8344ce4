/**
 * The pipeline projection: the working memory of the farm's own processes (see `state.ts`).
 */
import { eventRegistry } from '../../domain/events.ts';
import type { Projection } from '../runtime/projection.ts';
import { evolvePipeline, type PipelineEvent } from './evolve.ts';
import { initialPipelineState, type PipelineState } from './state.ts';

export type { PipelineEvent } from './evolve.ts';
export * from './state.ts';

const prefixes = ['Build', 'Evaluation', 'Specification'];

export const pipelineProjection: Projection<PipelineState, PipelineEvent> = {
  name: 'pipeline',
  version: 1,
  canHandle: (type) => type in eventRegistry && prefixes.some((prefix) => type.startsWith(prefix)),
  initialState: initialPipelineState,
  evolve: evolvePipeline,
};
