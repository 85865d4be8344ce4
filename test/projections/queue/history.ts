/**
 * Small builders of typed events for the read-model tests of queue, workers and metrics:
 * derivation paths, events stamped with a fact time, and `given(events).then(query, expected)`.
 */
import * as assert from 'uvu/assert';
import type { TallyEvent } from '../../../domain/events.ts';
import type { ProjectedEvent, Projection } from '../../../projections/runtime/projection.ts';

const nix32 = '0123456789abcdfghijklmnpqrsvwxyz';

/** A valid-looking `.drv` path whose hash is derived from `name`. */
export function drv(name: string): string {
  let hash = '';
  let seed = 7;
  for (let i = 0; i < 32; i++) {
    seed = (seed * 31 + name.charCodeAt(i % name.length) + i) % 1_000_003;
    hash += nix32[seed % 32];
  }
  return `/nix/store/${hash}-${name}.drv`;
}

/** An ISO time `minutes` after 2024-05-01T00:00Z. */
export function at(minutes: number): string {
  return new Date(Date.UTC(2024, 4, 1) + minutes * 60_000).toISOString();
}

/** An event and the time of its fact. */
export interface Timed {
  readonly event: TallyEvent;
  readonly at: string;
}

/** `event` stamped at `minutes` after the epoch of `at`. */
export function when(minutes: number, event: TallyEvent): Timed {
  return { event, at: at(minutes) };
}

/** Events as the runtime hands them to projections, positions increasing. */
export function project(history: readonly Timed[]): ProjectedEvent<TallyEvent>[] {
  return history.map(({ event, at: time }, index) => ({
    event,
    streamId: 'test',
    revision: index,
    position: index,
    metadata: {
      schemaVersion: 1,
      correlationId: 'c',
      causationId: 'c',
      actor: 'system',
      at: time,
    },
    recordedAt: new Date(time),
  }));
}

/** Folds `history` the way the runtime does: only events the projection handles. */
export function fold<S>(projection: Projection<S, TallyEvent>, history: readonly Timed[]): S {
  let state = projection.initialState;
  for (const projected of project(history)) {
    if (projection.canHandle(projected.event.type)) state = projection.evolve(state, projected);
  }
  return state;
}

/** `given(projection)(events).then(query, expected)`: asserts what a query answers after the events. */
export function givenFor<S>(projection: Projection<S, TallyEvent>) {
  return (history: readonly Timed[]) => {
    const state = fold(projection, history);
    return {
      state,
      // biome-ignore lint/suspicious/noThenProperty: the given/then reading is the point; never awaited.
      then<R>(query: (state: S) => R, expected: R, message?: string): R {
        const answer = query(state);
        assert.equal(answer, expected, message);
        return answer;
      },
    };
  };
}
