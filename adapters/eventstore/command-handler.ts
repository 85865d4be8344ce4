/**
 * How a command becomes events: read the aggregate's stream, fold it, let the domain decide, and
 * append what it decided with the revision that was read as the expected one. Two commands racing
 * on one stream cannot both win: the loser gets `TALLY_EVENTSTORE_WRONG_EXPECTED_REVISION` (the API's
 * 409 when its request named a revision with `If-Match`), or — for the farm's own processes and for
 * requests that named none — another try, deciding again on the newer state.
 *
 * Event ids derive from the cause and the decided events, so a command retried after a crash appends
 * the same ids and the store recognises it rather than recording the facts twice.
 */
import { envelop } from '../../domain/envelope.ts';
import type { TallyEvent } from '../../domain/events.ts';
import { assertReadable } from '../../domain/readable.ts';
import type { Decider } from '../../domain/shared/decider.ts';
import type { Actor, Cause } from '../../domain/shared/metadata.ts';
import type { IsoTime } from '../../domain/shared/time.ts';
import { EventStoreError, isEventStoreError } from './errors.ts';
import type { AppendResult, EventStore, ExpectedRevision } from './event-store.ts';
import { readStreamState, rememberStreamState } from './stream-state.ts';

/** Who issued a command, when, and what caused it: becomes every decided event's metadata. */
export interface CommandContext {
  readonly cause: Cause;
  readonly actor: Actor;
  readonly at: IsoTime;
}

export interface HandleOptions {
  /** Fail unless the stream is at this revision (the API's `If-Match`). */
  readonly expectedRevision?: number | 'no_stream';
  /** Decide again this many times when another writer got there first (never with `expectedRevision`). */
  readonly retriesOnConflict?: number;
  /**
   * The caller believes the stream does not exist yet (its read model has never seen it): the first
   * decision skips reading it and appends expecting no stream; if the stream exists after all, the
   * conflict makes the next try read it as usual. Saves a read per new build on large evaluations.
   */
  readonly believedNew?: boolean;
  /**
   * The caller holds the stream's state as of `revision` (it appended every event since it read
   * it): the first decision is made on it without reading the stream; a conflict makes the next
   * try read it as usual. Saves reading a long stream again for each of its own commands. Only for
   * a stream the caller alone writes: on a stale state, a command that decides nothing returns
   * without the append that would have revealed the staleness.
   */
  readonly known?: { readonly state: unknown; readonly revision: number };
  /**
   * What tells this decision apart from others made under the same cause, when one cause sets off
   * several (an activation scheduling each evaluation that waited): its events get ids of their own
   * instead of those of another decision, which the store would take for a retry of it and drop.
   */
  readonly scope?: string;
}

export interface HandledCommand<E, S = unknown> {
  /** The events appended; empty when the command was already satisfied. */
  readonly events: readonly E[];
  /** The stream's state after them (what `known` takes for the next command). */
  readonly state: S;
  /** The stream's revision afterwards, for `ETag`/`If-Match`; -1 for a stream that does not exist. */
  readonly revision: number;
  /** The `$all` position of the append, for read-your-writes; undefined when nothing was appended. */
  readonly position?: number;
}

export async function handleCommand<C, E extends TallyEvent, S>(
  store: EventStore,
  decider: Decider<C, E, S>,
  streamId: string,
  command: C,
  context: CommandContext,
  options: HandleOptions = {},
): Promise<HandledCommand<E, S>> {
  for (let attempt = 0; ; attempt++) {
    let state = decider.initialState;
    let revision = -1;
    const known = attempt === 0 ? options.known : undefined;
    if (known) {
      state = known.state as S;
      revision = known.revision;
    } else if (!(attempt === 0 && options.believedNew))
      ({ state, revision } = await readStreamState(store, decider, streamId));
    if (options.expectedRevision !== undefined) {
      const actual = revision < 0 ? 'no_stream' : revision;
      if (actual !== options.expectedRevision) {
        throw new EventStoreError(
          {
            code: 'TALLY_EVENTSTORE_WRONG_EXPECTED_REVISION',
            stream: streamId,
            expected: options.expectedRevision,
            actual,
          },
          `${streamId} is at revision ${actual}, not ${options.expectedRevision}: someone changed it; reload it and try again`,
        );
      }
    }
    const events = decider.decide(command, state);
    if (events.length === 0) return { events, state, revision };
    try {
      // The scope holds the revision decided on, so a decision made again on a newer state gets new ids.
      const scope = `${streamId}@${revision}${options.scope === undefined ? '' : `/${options.scope}`}`;
      const expected: ExpectedRevision = revision < 0 ? 'no_stream' : revision;
      const appended = await appendDecided(store, streamId, events, { ...context, scope }, expected);
      const after = events.reduce(decider.evolve, state);
      rememberStreamState(store, decider, streamId, after, appended.nextRevision);
      return { events, state: after, revision: appended.nextRevision, position: appended.position };
    } catch (error) {
      const conflict = isEventStoreError(error, 'TALLY_EVENTSTORE_WRONG_EXPECTED_REVISION');
      const guessedWrong = conflict && attempt === 0 && (options.believedNew === true || known !== undefined);
      if (!conflict || (attempt >= (options.retriesOnConflict ?? 0) && !guessedWrong)) throw error;
    }
  }
}

/**
 * Appends events the domain decided, in their envelopes, expecting the stream at `expected`: for
 * `handleCommand`, and for a decision made without the stream's history (`wantExisting`, expecting
 * the revision of the last event, read alone). The ids derive from the cause and `scope`, which tells
 * this decision apart from the others of its cause, so that it retried gives the same ids.
 */
export async function appendDecided<E extends TallyEvent>(
  store: EventStore,
  streamId: string,
  events: readonly E[],
  context: CommandContext & { readonly scope: string },
  expected: ExpectedRevision,
): Promise<AppendResult> {
  assertReadable(events, streamId);
  const envelopes = envelop(events, context);
  return store.append(
    streamId,
    envelopes.map(({ id, type, data, metadata }) => ({ id, type, data, metadata: { ...metadata } })),
    expected,
  );
}
