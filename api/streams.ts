/**
 * The aggregate categories whose streams the API exposes (`<category>-<id>`), and the JSON shape of a
 * recorded event that the history and the live feed share.
 */
import { type Static, Type } from 'typebox';
import type { RecordedEvent } from '../adapters/eventstore/event-store.ts';

export const categories = ['spec', 'checkout', 'eval', 'build', 'worker', 'gc', 'notification'] as const;
export type Category = (typeof categories)[number];

export const isCategory = (value: string): value is Category =>
  (categories as readonly string[]).includes(value);

/** A recorded event as the API shows it. */
export const EventView = Type.Object({
  stream: Type.String(),
  revision: Type.Integer({ description: "The event's number in its stream" }),
  position: Type.Integer({ description: "The event's position in the store's global order" }),
  id: Type.String(),
  type: Type.String(),
  data: Type.Unknown(),
  metadata: Type.Record(Type.String(), Type.Unknown()),
  recorded: Type.String({ format: 'date-time' }),
  malformed: Type.Optional(
    Type.Array(
      Type.Object({
        part: Type.String(),
        reason: Type.String(),
        raw: Type.String(),
      }),
      { description: 'Present when the stored content is not JSON as Tally writes it' },
    ),
  ),
});
export type EventView = Static<typeof EventView>;

export function eventView(event: RecordedEvent): EventView {
  return {
    stream: event.streamId,
    revision: event.revision,
    position: event.position,
    id: event.id,
    type: event.type,
    data: event.data,
    metadata: { ...event.metadata },
    recorded: event.created.toISOString(),
    ...(event.malformed ? { malformed: event.malformed.map((problem) => ({ ...problem })) } : {}),
  };
}
