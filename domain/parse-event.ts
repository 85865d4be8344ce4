/**
 * Reading a stored event back: its type must be in the catalogue, its schema version known (older
 * versions are upcast), its data well-formed. Never throws: projections skip and count what fails.
 */
import { eventRegistry, isTallyEventType, type TallyEvent } from './events.ts';
import type { Issue } from './shared/schema.ts';
import { upcast } from './upcasters.ts';

/** Why a stored event could not be read. */
export type EventReadFailureReason =
  /** No event of the catalogue has this type (written by another program, or a removed type). */
  | 'unknown-type'
  /** Written with a schema version this code cannot read (a newer Tally, or no upcaster). */
  | 'unsupported-version'
  /** The data does not have the shape of its type and version. */
  | 'malformed';

/** A stored event that could not be read, and why. */
export interface EventReadFailure {
  readonly ok: false;
  readonly reason: EventReadFailureReason;
  readonly type: string;
  /** Field problems, for `malformed`. */
  readonly issues: readonly Issue[];
  readonly detail: string;
}

/** The typed event, or why it could not be read. */
export type ParsedEvent = { readonly ok: true; readonly event: TallyEvent } | EventReadFailure;

function failure(
  reason: EventReadFailureReason,
  type: string,
  detail: string,
  issues: readonly Issue[] = [],
) {
  return { ok: false, reason, type, detail, issues } as const;
}

/** Reads the `data` of an event of `type` stored with `schemaVersion` into the current typed event. */
export function parseEvent(type: string, data: unknown, schemaVersion: number): ParsedEvent {
  try {
    if (!isTallyEventType(type))
      return failure('unknown-type', type, `no event type ${JSON.stringify(type)}`);
    const upcasted = upcast(type, data, schemaVersion);
    if (!upcasted.ok)
      return failure(
        upcasted.reason,
        type,
        upcasted.detail,
        upcasted.reason === 'malformed' ? upcasted.issues : [],
      );
    const checked = eventRegistry[type].data(upcasted.data, 'data');
    if (!checked.ok) return failure('malformed', type, `${type} data is malformed`, checked.issues);
    return { ok: true, event: { type, data: checked.value } as TallyEvent };
  } catch (error) {
    // Hostile data (say, nesting deep enough to exhaust the stack) must not stop a projection.
    return failure('malformed', type, `${type} could not be read: ${String(error)}`);
  }
}
