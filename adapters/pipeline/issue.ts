/**
 * How the farm's processes send a command: through the command handler, deciding again when another
 * writer got to the stream first, with a cause that makes the event ids deterministic. A domain
 * refusal is an answer, not an error: the state moved on (a build was cancelled while it was being
 * dispatched…), and the process goes on with the next thing.
 */

import type { TallyEvent } from '../../domain/events.ts';
import type { Decider } from '../../domain/shared/decider.ts';
import { type DomainError, isDomainError } from '../../domain/shared/errors.ts';
import type { Actor, Cause } from '../../domain/shared/metadata.ts';
import { handleCommand } from '../eventstore/command-handler.ts';
import type { EventStore } from '../eventstore/event-store.ts';

export type Issued<E> =
  | { readonly ok: true; readonly events: readonly E[]; readonly position?: number }
  | { readonly ok: false; readonly refusal: DomainError };

export async function issue<C, E extends TallyEvent, S>(
  store: EventStore,
  decider: Decider<C, E, S>,
  streamId: string,
  command: C,
  cause: Cause,
  actor: Actor,
  options: { readonly believedNew?: boolean; readonly scope?: string } = {},
): Promise<Issued<E>> {
  try {
    const at = new Date().toISOString();
    const handled = await handleCommand(
      store,
      decider,
      streamId,
      command,
      { cause, actor, at },
      { retriesOnConflict: 5, ...options },
    );
    return {
      ok: true,
      events: handled.events,
      ...(handled.position === undefined ? {} : { position: handled.position }),
    };
  } catch (error) {
    if (isDomainError(error)) return { ok: false, refusal: error };
    throw error;
  }
}

/** A cause for commands a process decides on its own (no event caused them), stable across retries. */
export function processCause(id: string): Cause {
  return { kind: 'command', id };
}
