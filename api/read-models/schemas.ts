/** Schema pieces every read route shares: time travel (`?at=`), paging bounds and the position header. */
import { type TProperties, Type } from 'typebox';

/** `?at=<position>`: answer as of the event at this `$all` position (inclusive). */
export const At = Type.Optional(
  Type.Integer({
    minimum: -1,
    maximum: Number.MAX_SAFE_INTEGER,
    description:
      'Answer as of this $all position (time travel): the read model is replayed up to it. Refused beyond the head.',
  }),
);

/** A page size: absurd sizes are refused with 400 rather than clamped. */
export function limitOf(max: number, fallback: number) {
  return Type.Integer({ minimum: 1, maximum: max, default: fallback, description: `At most ${max}` });
}

/** A JSON document whose fields are those of the read model (kept open so new fields flow through). */
export function openObject<T extends TProperties>(properties: T, description?: string) {
  return Type.Object(properties, { additionalProperties: true, ...(description ? { description } : {}) });
}

/** The header carrying the position a read answered as of. */
export const positionHeader = 'x-tally-position';
/**
 * On a write's answer: the write is recorded (at `positionHeader`) but the read models had not reached it
 * when the answer was sent, so a read right after it may not show it yet. Wait for a read answering at or
 * past that position rather than sending the write again.
 */
export const readModelsBehindHeader = 'x-tally-read-models-behind';

/** An array the read models hand out as `readonly`. */
export function list<T extends Parameters<typeof Type.Array>[0]>(
  item: T,
  options?: Parameters<typeof Type.Array>[1],
) {
  return Type.Immutable(Type.Array(item, options));
}
