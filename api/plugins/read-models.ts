/**
 * The read models as routes see them: `fastify.readModel(projection, at)` answers a projection's state
 * and the position it stands at — the runner's live state, or, with `at`, the state as of that
 * position, rebuilt by replaying `$all` up to it (time travel). A replay is bounded by the head: an
 * `at` beyond the last event is refused, so nobody can ask the server to wait for the future.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { decodeRecorded } from '../../adapters/eventstore/read-domain-event.ts';
import type { TallyEvent } from '../../domain/events.ts';
import type { AnyProjection } from '../../projections/runtime/projection.ts';
import { replayProjections } from '../../projections/runtime/replay.ts';
import { ApiError } from '../problem.ts';

/** A projection's state and the `$all` position it reflects (-1 before any event). */
export interface ReadModelState<S> {
  readonly state: S;
  readonly position: number;
}

export type ReadModel = <S>(projection: AnyProjection<TallyEvent>, at?: number) => Promise<ReadModelState<S>>;

declare module 'fastify' {
  interface FastifyInstance {
    readModel: ReadModel;
  }
}

/** Replays kept per projection: paging through one `at` replays once. */
const cacheSize = 4;

async function readModels(fastify: FastifyInstance): Promise<void> {
  const cache = new Map<string, Promise<ReadModelState<unknown>>>();

  async function head(): Promise<number> {
    for await (const event of fastify.eventStore.readAll({ direction: 'backwards', limit: 1 }))
      return event.position;
    return -1;
  }

  function replay(projection: AnyProjection<TallyEvent>, upTo: number | undefined, key: string) {
    const cached = cache.get(key);
    if (cached) return cached;
    const replayed = replayProjections(fastify.eventStore, [projection], decodeRecorded, {
      ...(upTo === undefined ? {} : { upTo }),
    }).then((result) => ({ state: result.states.get(projection.name), position: upTo ?? result.position }));
    cache.set(key, replayed);
    replayed.catch(() => cache.delete(key));
    if (cache.size > cacheSize) cache.delete(cache.keys().next().value as string);
    return replayed;
  }

  function live<S>(projection: AnyProjection<TallyEvent>): ReadModelState<S> | undefined {
    const runner = fastify.projections;
    if (!runner) return undefined;
    try {
      return { state: runner.state<S>(projection.name), position: runner.position() };
    } catch {
      // The runner does not keep this projection: answer from a replay instead.
      return undefined;
    }
  }

  const readModel: ReadModel = async <S>(projection: AnyProjection<TallyEvent>, at?: number) => {
    if (at === undefined) {
      const current = live<S>(projection);
      if (current) return current;
      const last = await head();
      return (await replay(projection, last, `${projection.name}@${last}`)) as ReadModelState<S>;
    }
    const last = await head();
    if (at > last) {
      throw new ApiError(
        'TALLY_API_INVALID_REQUEST',
        `at=${at} is beyond the last event (position ${last}); ask for a position that exists`,
        'querystring.at',
      );
    }
    return (await replay(projection, at, `${projection.name}@${at}`)) as ReadModelState<S>;
  };
  fastify.decorate('readModel', readModel);
}

export default fp(readModels, {
  name: 'tally-read-models',
  fastify: '5.x',
  dependencies: ['tally-event-store'],
});
