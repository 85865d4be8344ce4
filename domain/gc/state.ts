/**
 * The state of a collection stream, with running totals.
 */
import { unreachable } from '../shared/unreachable.ts';
import type { GcEvent, GcPolicy } from './events.ts';

interface Totals {
  readonly gcId: string;
  readonly freedBytes: number;
  readonly pathCount: number;
}

export type GcState =
  | { readonly status: 'none' }
  | (Totals & { readonly status: 'running'; readonly policy: GcPolicy; readonly nextChunk: number })
  | (Totals & { readonly status: 'finished' | 'failed' });

export const initialGcState: GcState = { status: 'none' };

export function evolveGc(state: GcState, event: GcEvent): GcState {
  switch (event.type) {
    case 'GcStarted':
      return {
        status: 'running',
        gcId: event.data.gcId,
        policy: event.data.policy,
        nextChunk: 0,
        freedBytes: 0,
        pathCount: 0,
      };
    case 'GcPathsCollected': {
      if (state.status !== 'running') return state;
      const bytes = event.data.paths.reduce((sum, path) => sum + path.bytes, 0);
      return {
        ...state,
        nextChunk: event.data.chunk + 1,
        freedBytes: state.freedBytes + bytes,
        pathCount: state.pathCount + event.data.paths.length,
      };
    }
    case 'GcFinished':
    case 'GcFailed':
      if (state.status !== 'running') return state;
      return {
        status: event.type === 'GcFinished' ? 'finished' : 'failed',
        gcId: state.gcId,
        freedBytes: state.freedBytes,
        pathCount: state.pathCount,
      };
    default:
      return unreachable(event);
  }
}
