/**
 * Time travel with a bound: the state of a projection as of an `$all` position, replayed from the
 * nearest earlier state this server kept (or from the first event), reading at most `maxEvents`
 * events per request and running one replay at a time. A request that would need more stops at the
 * bound with `TALLY_API_TIME_TRAVEL_TOO_FAR` (422) and keeps the state it reached, so that asking
 * again goes on from there rather than from the start; a request that arrives while another replay
 * runs gets `TALLY_API_TIME_TRAVEL_BUSY` (503, retry shortly). No request can hold the server for
 * longer than one bounded replay.
 *
 * Kept states are those of earlier answers and of stopped replays (the read models are immutable
 * values, so a kept state is never changed by a later fold); the oldest-used go first.
 */
import type { Decoded, EventSource, SourceEvent } from '../../projections/runtime/event-source.ts';
import type { AnyProjection } from '../../projections/runtime/projection.ts';
import { replayProjections } from '../../projections/runtime/replay.ts';
import { ApiError } from '../problem.ts';

/** A projection's state and the `$all` position it reflects (-1 before any event). */
export interface ReadModelState<S> {
  readonly state: S;
  readonly position: number;
}

export interface TimeTravelOptions {
  /** Events one request may replay. Defaults to 200,000 (about a second). */
  readonly maxEvents?: number;
  /** States kept across all projections. Defaults to 16. */
  readonly keptStates?: number;
}

export interface TimeTravel {
  /** The projection's state as of `at` (inclusive), which the caller checked is not beyond the head. */
  stateAt<S>(projection: AnyProjection, at: number): Promise<ReadModelState<S>>;
}

interface Kept {
  readonly projection: string;
  readonly position: number;
  readonly state: unknown;
}

/**
 * `source` read from just after `after` up to `upTo`, ending (and saying so) once `limit` events were
 * read with more still to go: a replay that needs exactly `limit` is complete, not cut.
 */
function boundedSource(source: Pick<EventSource, 'readAll'>, after: number, upTo: number, limit: number) {
  const read = { events: 0, cut: false };
  const bounded: Pick<EventSource, 'readAll'> = {
    async *readAll() {
      const from = after < 0 ? {} : { fromPosition: after };
      for await (const event of source.readAll({ direction: 'forwards', ...from })) {
        if (event.position <= after) continue;
        if (event.position > upTo) return;
        if (read.events === limit) {
          read.cut = true;
          return;
        }
        read.events += 1;
        yield event;
      }
    },
  };
  return { bounded, read };
}

export function createTimeTravel<E extends { readonly type: string }>(
  source: Pick<EventSource, 'readAll'>,
  decode: (event: SourceEvent) => Decoded<E>,
  options: TimeTravelOptions = {},
): TimeTravel {
  const maxEvents = options.maxEvents ?? 200_000;
  const keptStates = options.keptStates ?? 16;
  /** In least recently used order: the first goes first. */
  const kept: Kept[] = [];
  let running: { readonly key: string; readonly done: Promise<ReadModelState<unknown>> } | undefined;

  function keep(entry: Kept): void {
    const index = kept.findIndex((k) => k.projection === entry.projection && k.position === entry.position);
    if (index >= 0) kept.splice(index, 1);
    kept.push(entry);
    if (kept.length > keptStates) kept.shift();
  }

  /** The kept state nearest before or at `at`, or the projection's initial state. */
  function nearest(projection: AnyProjection, at: number): Kept {
    let best: Kept = { projection: projection.name, position: -1, state: projection.initialState };
    for (const entry of kept) {
      if (entry.projection === projection.name && entry.position <= at && entry.position > best.position)
        best = entry;
    }
    return best;
  }

  async function replay(projection: AnyProjection, at: number): Promise<ReadModelState<unknown>> {
    const from = nearest(projection, at);
    if (from.position === at) {
      keep(from);
      return { state: from.state, position: at };
    }
    const { bounded, read } = boundedSource(source, from.position, at, maxEvents);
    // The projection as it stands at `from`: the replay folds only what came after.
    const resumed = { ...projection, initialState: from.state };
    const result = await replayProjections(bounded, [resumed], decode, { upTo: at });
    const state = result.states.get(projection.name);
    if (read.cut) {
      keep({ projection: projection.name, position: result.position, state });
      throw new ApiError(
        'TALLY_API_TIME_TRAVEL_TOO_FAR',
        `answering as of position ${at} needs more than ${maxEvents} events replayed; this request replayed ` +
          `up to position ${result.position} and the server kept that state: ask again to go on from there, ` +
          'or ask for a position nearer one answered before',
        'querystring.at',
      );
    }
    const answer = { projection: projection.name, position: at, state };
    keep(answer);
    return { state, position: at };
  }

  return {
    async stateAt<S>(projection: AnyProjection, at: number): Promise<ReadModelState<S>> {
      const key = `${projection.name}@${at}`;
      if (running?.key === key) return (await running.done) as ReadModelState<S>;
      if (running) {
        throw new ApiError(
          'TALLY_API_TIME_TRAVEL_BUSY',
          'another time-travel replay is running on this server; retry shortly',
        );
      }
      const done = replay(projection, at);
      running = { key, done };
      try {
        return (await done) as ReadModelState<S>;
      } finally {
        if (running?.done === done) running = undefined;
      }
    },
  };
}
