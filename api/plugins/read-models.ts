/**
 * The read models as routes see them: `fastify.readModel(projection, at)` answers a projection's state
 * and the position it stands at — the runner's live state (never waiting for it to catch up: a read
 * answers with the position the projection has reached; only a snapshot still loading after a restart
 * is waited for), or, with `at`, the state as of that position (time travel), replayed with a bound by
 * `read-models/time-travel.ts`. An `at` beyond the last event is refused, so nobody can ask the server
 * to wait for the future. When nothing the projection folds came after `at`, the live state is that
 * state, and answers without a replay: a client paging with the position of its first page gets its
 * next pages from memory while what it reads has not changed.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { decodeRecorded } from '../../adapters/eventstore/read-domain-event.ts';
import type { TallyEvent } from '../../domain/events.ts';
import type { AnyProjection } from '../../projections/runtime/projection.ts';
import { ApiError } from '../problem.ts';
import { createTimeTravel, type ReadModelState, type TimeTravelOptions } from '../read-models/time-travel.ts';

export type { ReadModelState } from '../read-models/time-travel.ts';

export type ReadModel = <S>(projection: AnyProjection<TallyEvent>, at?: number) => Promise<ReadModelState<S>>;

declare module 'fastify' {
  interface FastifyInstance {
    readModel: ReadModel;
  }
}

/** How many events after `at` are looked at to tell whether the live state is the state as of `at`. */
const liveCheckEvents = 1000;

async function readModels(fastify: FastifyInstance, options: TimeTravelOptions): Promise<void> {
  const timeTravel = createTimeTravel(fastify.eventStore, decodeRecorded, options);

  async function head(): Promise<number> {
    for await (const event of fastify.eventStore.readAll({ direction: 'backwards', limit: 1 }))
      return event.position;
    return -1;
  }

  async function live<S>(projection: AnyProjection<TallyEvent>): Promise<ReadModelState<S> | undefined> {
    const runner = fastify.projections;
    if (!runner) return undefined;
    try {
      // Right after a restart a projection's snapshot may still be loading: wait for it rather than
      // answer from an empty state.
      await runner.loaded(projection.name);
      return { state: runner.state<S>(projection.name), position: runner.positionOf(projection.name) };
    } catch {
      // The runner does not keep this projection: answer from a replay instead.
      return undefined;
    }
  }

  /**
   * The live state as the state as of `at`, when it is that: the projection stands at or past `at`, and
   * none of the events after `at` up to where it stands (at most `liveCheckEvents` of them) is one it
   * folds. Otherwise `undefined`, and a replay answers.
   */
  async function liveAsOf<S>(
    projection: AnyProjection<TallyEvent>,
    at: number,
  ): Promise<ReadModelState<S> | undefined> {
    const current = await live<S>(projection);
    if (!current || current.position < at) return undefined;
    let reached = at;
    if (current.position > at) {
      // `at=-1` is before the first event: the read starts at the first event.
      const after = {
        direction: 'forwards',
        limit: liveCheckEvents,
        ...(at < 0 ? {} : { fromPosition: at }),
      } as const;
      for await (const event of fastify.eventStore.readAll(after)) {
        if (event.position > current.position) return { state: current.state, position: at };
        if (event.position <= at) continue;
        if (projection.canHandle(event.type)) return undefined;
        reached = event.position;
      }
    }
    // The read ended at the head, or after `liveCheckEvents` events: live only if it passed the state's position.
    return reached >= current.position ? { state: current.state, position: at } : undefined;
  }

  const readModel: ReadModel = async <S>(projection: AnyProjection<TallyEvent>, at?: number) => {
    if (at === undefined) {
      const current = await live<S>(projection);
      if (current) return current;
      return timeTravel.stateAt<S>(projection, await head());
    }
    const last = await head();
    if (at > last) {
      throw new ApiError(
        'TALLY_API_INVALID_REQUEST',
        `at=${at} is beyond the last event (position ${last}); ask for a position that exists`,
        'querystring.at',
      );
    }
    return (await liveAsOf<S>(projection, at)) ?? timeTravel.stateAt<S>(projection, at);
  };
  fastify.decorate('readModel', readModel);
}

export default fp(readModels, {
  name: 'tally-read-models',
  fastify: '5.x',
  dependencies: ['tally-event-store'],
});
