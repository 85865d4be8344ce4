/**
 * Waiting, before a process reacts to live events, until the projections include everything the store
 * held when it started: what it then finds in their state is the farm as it stands.
 */
import type { TallyEvent } from '../../domain/events.ts';
import type { ProjectionRunner } from '../../projections/runtime/runner.ts';
import type { EventStore } from '../eventstore/event-store.ts';

/** Resolves once every projection has folded in the store's last event (at once for an empty store). */
export async function projectionsCaughtUp(
  events: EventStore,
  projections: ProjectionRunner<TallyEvent>,
  timeoutMs = 10 * 60_000,
): Promise<void> {
  let head = -1;
  for await (const event of events.readAll({ direction: 'backwards', limit: 1 })) head = event.position;
  if (head >= 0) await projections.waitFor(head, timeoutMs);
}
