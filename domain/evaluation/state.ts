/**
 * The state of an evaluation stream: where it is in its life, and how many jobs it has recorded.
 */

import type { IsoTime } from '../shared/time.ts';
import { unreachable } from '../shared/unreachable.ts';
import type { EvaluationEvent } from './events.ts';
import type { EvaluationFailureReason } from './job.ts';

interface Known {
  readonly evaluationId: string;
  readonly spec: string;
}

export type EvaluationState =
  | { readonly status: 'none' }
  | (Known & { readonly status: 'requested' })
  | (Known & {
      readonly status: 'running';
      readonly startedAt: IsoTime;
      /** The chunk number the next `EvaluationJobsAdded` must carry. */
      readonly nextChunk: number;
      readonly jobCount: number;
    })
  | (Known & {
      readonly status: 'completed';
      readonly jobCount: number;
      /** The chunk number the next `EvaluationBuildsReused` must carry. */
      readonly nextReusedChunk: number;
    })
  | (Known & { readonly status: 'failed'; readonly reason: EvaluationFailureReason })
  | (Known & { readonly status: 'aborted' });

export const initialEvaluationState: EvaluationState = { status: 'none' };

export function evolveEvaluation(state: EvaluationState, event: EvaluationEvent): EvaluationState {
  switch (event.type) {
    case 'EvaluationRequested':
      return { status: 'requested', evaluationId: event.data.evaluationId, spec: event.data.spec };
    case 'EvaluationStarted':
      if (state.status !== 'requested') return state;
      return {
        ...state,
        status: 'running',
        startedAt: event.data.startedAt,
        nextChunk: 0,
        jobCount: 0,
      };
    case 'EvaluationJobsAdded':
      if (state.status !== 'running') return state;
      return {
        ...state,
        nextChunk: event.data.chunk + 1,
        jobCount: state.jobCount + event.data.jobs.length,
      };
    case 'EvaluationCompleted':
      if (state.status === 'none') return state;
      return {
        evaluationId: state.evaluationId,
        spec: state.spec,
        status: 'completed',
        jobCount: event.data.jobCount,
        nextReusedChunk: 0,
      };
    case 'EvaluationBuildsReused':
      if (state.status !== 'completed') return state;
      return { ...state, nextReusedChunk: event.data.chunk + 1 };
    case 'EvaluationFailed':
      if (state.status === 'none') return state;
      return {
        evaluationId: state.evaluationId,
        spec: state.spec,
        status: 'failed',
        reason: event.data.reason,
      };
    case 'EvaluationAborted':
      if (state.status === 'none') return state;
      return { evaluationId: state.evaluationId, spec: state.spec, status: 'aborted' };
    default:
      return unreachable(event);
  }
}
