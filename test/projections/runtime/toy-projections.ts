/** Small projections over untyped events, to test the runtime without the domain's catalogue. */
import type { Decoded, SourceEvent } from '../../../projections/runtime/event-source.ts';
import type { Projection } from '../../../projections/runtime/projection.ts';

export type ToyEvent = { readonly type: string; readonly data: { readonly n?: number } };

/** Decodes anything whose data is an object; the rest is "malformed". */
export function decodeToy(event: SourceEvent): Decoded<ToyEvent> {
  if (event.malformed || typeof event.data !== 'object' || event.data === null || Array.isArray(event.data))
    return { ok: false, reason: 'malformed' };
  return { ok: true, event: { type: event.type, data: event.data as ToyEvent['data'] } };
}

/** Counts events by type. */
export function countsByType(version = 1): Projection<Record<string, number>, ToyEvent> {
  return {
    name: 'counts',
    version,
    canHandle: () => true,
    initialState: {},
    evolve: (state, { event }) => ({ ...state, [event.type]: (state[event.type] ?? 0) + 1 }),
  };
}

/** Sums `data.n` of `Added` events only. */
export const sumOfAdded: Projection<{ total: number; last: number }, ToyEvent> = {
  name: 'sum',
  version: 1,
  canHandle: (type) => type === 'Added',
  initialState: { total: 0, last: -1 },
  evolve: (state, { event, position }) => ({ total: state.total + (event.data.n ?? 0), last: position }),
};
