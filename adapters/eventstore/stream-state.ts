/**
 * An aggregate's state as of the end of its stream, folded from the events appended since this
 * process last folded it. Deciding a command means reading the aggregate's stream; read whole every
 * time, a long stream costs more with every event: a checkout stream after years of commits (read at
 * every poll), a worker's stream of connections, an evaluation's chunks of jobs. Kept here is each
 * stream's last folded state with its revision, and only the events after that revision are read.
 *
 * Sound because a stream's events never change once appended: Tally never deletes or truncates an
 * aggregate's stream. Whoever does (another client setting `$tb` or `$maxCount`) must restart Tally,
 * or its processes go on deciding on the events they had already read. The states are immutable
 * (deciders' `evolve` returns new values), so one kept here is never changed by whoever received it.
 */
import type { TallyEvent } from '../../domain/events.ts';
import type { Decider } from '../../domain/shared/decider.ts';
import type { EventStore } from './event-store.ts';
import { readDomainEvent } from './read-domain-event.ts';

interface Folded {
  /** The fold the state came from (one per aggregate: `inSequence` shares its decider's). */
  readonly evolve: unknown;
  readonly state: unknown;
  /** The revision of the last event folded in. */
  readonly revision: number;
}

/**
 * Streams kept per store, least recently used forgotten first. A farm decides on hundreds of thousands
 * of build streams, each once or twice; what is worth keeping is the few long ones decided on often
 * (a specification's checkouts, a worker's connections, a build wanted by many evaluations).
 */
export const streamStatesKept = 1024;

/**
 * At most this many events folded into the kept states together. A state's size grows with its
 * events for the streams that grow without bound (a build's wanters); a stream longer than this is
 * folded anew each time rather than kept. About 100 bytes a wanter: some 100 MB at most.
 */
export const streamStateEventsKept = 1_000_000;

interface Kept {
  readonly streams: Map<string, Folded>;
  /** Events folded into the states of `streams`, together. */
  events: number;
}

const byStore = new WeakMap<EventStore, Kept>();

function keptFor(store: EventStore): Kept {
  let kept = byStore.get(store);
  if (!kept) {
    kept = { streams: new Map(), events: 0 };
    byStore.set(store, kept);
  }
  return kept;
}

function forget(kept: Kept, streamId: string): void {
  const folded = kept.streams.get(streamId);
  if (!folded) return;
  kept.streams.delete(streamId);
  kept.events -= folded.revision + 1;
}

/** Remembers `state` as the fold of `streamId` up to `revision` (a newer one than kept, or none). */
export function rememberStreamState<S>(
  store: EventStore,
  decider: Pick<Decider<unknown, TallyEvent, S>, 'evolve'>,
  streamId: string,
  state: S,
  revision: number,
): void {
  if (revision < 0) return;
  const kept = keptFor(store);
  const before = kept.streams.get(streamId);
  if (before && before.evolve === decider.evolve && before.revision > revision) return;
  forget(kept, streamId);
  if (revision + 1 > streamStateEventsKept) return;
  kept.streams.set(streamId, { evolve: decider.evolve, state, revision });
  kept.events += revision + 1;
  while (kept.streams.size > streamStatesKept || kept.events > streamStateEventsKept)
    forget(kept, kept.streams.keys().next().value!);
}

/**
 * The state of `streamId` as of its last event, and that event's revision (-1 for a stream with no
 * events): the kept fold and the events appended since, read from the store.
 */
export async function readStreamState<C, E extends TallyEvent, S>(
  store: EventStore,
  decider: Decider<C, E, S>,
  streamId: string,
): Promise<{ state: S; revision: number }> {
  const kept = keptFor(store).streams.get(streamId);
  const usable = kept !== undefined && kept.evolve === decider.evolve;
  let state = usable ? (kept.state as S) : decider.initialState;
  let revision = usable ? kept.revision : -1;
  const from = usable ? { fromRevision: kept.revision + 1 } : {};
  for await (const recorded of store.readStream(streamId, from)) {
    state = decider.evolve(state, readDomainEvent(recorded) as E);
    revision = recorded.revision;
  }
  rememberStreamState(store, decider, streamId, state, revision);
  return { state, revision };
}
