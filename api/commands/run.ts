/**
 * How a route runs a person's command: the domain decides through `handleCommand`, appended with the
 * revision read (or the one `If-Match` names), the request id as the command id and the token's user as
 * the actor. The answer waits for the read models, so a following GET sees the write.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { handleCommand } from '../../adapters/eventstore/command-handler.ts';
import type { EventStore } from '../../adapters/eventstore/event-store.ts';
import { readStreamState } from '../../adapters/eventstore/stream-state.ts';
import type { TallyEvent } from '../../domain/events.ts';
import type { Decider } from '../../domain/shared/decider.ts';
import { type Actor, parseActor } from '../../domain/shared/metadata.ts';
import { ApiError } from '../problem.ts';
import { positionHeader, readModelsBehindHeader } from '../read-models/schemas.ts';
import { ifMatchHint, revisionOfIfMatch } from './if-match.ts';
import type { CommandResult } from './schemas.ts';

/** The authenticated user; the auth hook guarantees one on writes. */
export function actorOf(request: FastifyRequest): Actor {
  const actor = request.actor === null ? undefined : parseActor(request.actor);
  if (!actor) throw new ApiError('TALLY_AUTH_MISSING_TOKEN', 'this request needs a token');
  return actor;
}

/**
 * The revision an `If-Match` header names (`3`, `"3"` or `W/"3"`), or undefined without one. A route's
 * header schema refuses a malformed one first; this refuses it too, so no route that forgot to declare
 * the header turns one into a revision that never matches.
 */
export function ifMatchOf(request: FastifyRequest): number | undefined {
  const header = request.headers['if-match'];
  if (header === undefined) return undefined;
  const revision = typeof header === 'string' ? revisionOfIfMatch(header) : undefined;
  if (revision === undefined)
    throw new ApiError(
      'TALLY_API_INVALID_REQUEST',
      `If-Match ${JSON.stringify(header)} is not a revision: ${ifMatchHint}`,
      'headers.if-match',
    );
  return revision;
}

/** Refuses a request bearing `If-Match` on a route where `why` says no revision can be named. */
export function refuseIfMatch(request: FastifyRequest, why: string): void {
  if (request.headers['if-match'] === undefined) return;
  throw new ApiError(
    'TALLY_API_INVALID_REQUEST',
    `If-Match cannot apply here: ${why}; send the request without it`,
    'headers.if-match',
  );
}

/** The state of `stream` folded with `decider`, and its revision (-1 when it does not exist). */
export async function readState<C, E extends TallyEvent, S>(
  store: EventStore,
  decider: Decider<C, E, S>,
  stream: string,
): Promise<{ state: S; revision: number }> {
  return readStreamState(store, decider, stream);
}

/**
 * Decides `command` on `stream` for `request`'s user, appends, waits for the read models, sets the headers.
 * `replaces`: the command replaces what the user read (a specification sent whole), so a write that got
 * there first is a conflict (409) even without If-Match, never overwritten in silence.
 */
export async function runCommand<C, E extends TallyEvent, S>(
  fastify: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  decider: Decider<C, E, S>,
  stream: string,
  command: C,
  replaces = false,
): Promise<CommandResult> {
  const expectedRevision = ifMatchOf(request);
  const result = await handleCommand(
    fastify.eventStore,
    decider,
    stream,
    command,
    {
      cause: { kind: 'command', id: String(request.id) },
      actor: actorOf(request),
      at: new Date().toISOString(),
    },
    // Without If-Match the person asked for no particular revision: when another write got there
    // first, the command is decided again on the newer state (a second cancel is then the domain's own
    // refusal, a deactivation already made writes nothing), unless it replaces what they read. With
    // If-Match, a conflict is the 409 it asks for.
    expectedRevision !== undefined ? { expectedRevision } : replaces ? {} : { retriesOnConflict: 5 },
  );
  await settle(fastify, reply, result.position);
  reply.header('etag', `"${result.revision}"`);
  return {
    stream,
    revision: result.revision,
    position: result.position ?? null,
    events: result.events.map((event) => event.type),
  };
}

/**
 * Waits for the read models to reach `position` and puts it in the position header. The write is
 * recorded whatever they do: when they are late the answer still says so (a 503 would invite a retry,
 * and retrying some writes, such as a manual evaluation, records them twice), and `readModelsBehindHeader`
 * warns that a read right after it may not show the write yet.
 */
export async function settle(fastify: FastifyInstance, reply: FastifyReply, position: number | undefined) {
  if (position === undefined) return;
  try {
    await fastify.projections?.waitFor(position);
  } catch (error) {
    if ((error as { code?: unknown })?.code !== 'TALLY_PROJECTIONS_BEHIND') throw error;
    reply.request.log.warn(
      { position },
      'a write was recorded but the read models had not reached it in time',
    );
    reply.header(readModelsBehindHeader, '1');
  }
  reply.header(positionHeader, position);
}
