/**
 * Turning decided events into what is appended to the store: each gets a deterministic id derived
 * from its cause and the metadata of its conversation.
 */
import { eventRegistry, type TallyEvent } from './events.ts';
import { deriveEventIds } from './shared/event-ids.ts';
import { type Actor, type Cause, type EventMetadata, metadataFor } from './shared/metadata.ts';
import type { IsoTime } from './shared/time.ts';

/** An event ready to append: its id, type, data and metadata. */
export type EventEnvelope<E extends TallyEvent = TallyEvent> = E & {
  readonly id: string;
  readonly metadata: EventMetadata;
};

/**
 * Envelopes for the events one decision produced. The same cause, scope and events always give the
 * same ids, so a retried reaction is recognised by the store. `scope` tells apart several decisions
 * made for one cause (the stream name of each, say).
 */
export function envelop<E extends TallyEvent>(
  events: readonly E[],
  context: { readonly cause: Cause; readonly actor: Actor; readonly at: IsoTime; readonly scope?: string },
): readonly EventEnvelope<E>[] {
  const ids = deriveEventIds(
    context.cause.id,
    events,
    context.scope === undefined ? '' : `${context.scope}/`,
  );
  return events.map((event, index) => ({
    ...event,
    id: ids[index]!,
    metadata: metadataFor(context.cause, context.actor, context.at, eventRegistry[event.type].schemaVersion),
  }));
}
