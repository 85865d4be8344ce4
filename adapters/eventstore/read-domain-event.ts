/**
 * Stored events as the domain reads them: the type checked against the catalogue, older schema
 * versions upcast, the data checked. The projections skip what fails; a command handler cannot
 * decide on a stream it cannot read, so there it is an error.
 */
import { eventRegistry, type TallyEvent } from '../../domain/events.ts';
import { type ParsedEvent, parseEvent } from '../../domain/parse-event.ts';
import type { RecordedEvent } from './event-store.ts';

/**
 * Schema version 1 for events stored without one (written by another program); `undefined` for a
 * version that is there but no positive integer, which is refused rather than guessed.
 */
function schemaVersionOf(recorded: {
  readonly metadata: Readonly<Record<string, unknown>>;
}): number | undefined {
  const version = recorded.metadata.schemaVersion;
  if (version === undefined) return 1;
  return typeof version === 'number' && Number.isInteger(version) && version > 0 ? version : undefined;
}

/** The typed event, or why it cannot be read (never throws). */
export function decodeRecorded(recorded: {
  readonly type: string;
  readonly data: unknown;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly malformed?: readonly unknown[];
}): ParsedEvent {
  if (recorded.malformed) {
    return {
      ok: false,
      reason: 'malformed',
      type: recorded.type,
      detail: 'the content is not JSON',
      issues: [],
    };
  }
  const version = schemaVersionOf(recorded);
  if (version === undefined) {
    return {
      ok: false,
      reason: 'unsupported-version',
      type: recorded.type,
      detail: `metadata.schemaVersion ${JSON.stringify(recorded.metadata.schemaVersion)} is not a positive integer`,
      issues: [],
    };
  }
  return parseEvent(recorded.type, recorded.data, version);
}

/**
 * The catalogue's types: the projection runtime skips and counts an event of any other type without
 * decoding the events of known types that no projection handles.
 */
decodeRecorded.knownTypes = new Set(Object.keys(eventRegistry)) as ReadonlySet<string>;

/** An aggregate's stream holds an event the domain cannot read: deciding on it would be a guess. */
export class UnreadableStreamError extends Error {
  readonly code = 'TALLY_STREAM_UNREADABLE';
  readonly status = 500;

  constructor(stream: string, revision: number, detail: string) {
    super(
      `event ${revision} of ${stream} cannot be read (${detail}); inspect it with \`tally events show ${stream}\``,
    );
    this.name = 'UnreadableStreamError';
  }
}

/** Reads an event of an aggregate's own stream, or throws `UnreadableStreamError`. */
export function readDomainEvent(recorded: RecordedEvent): TallyEvent {
  const parsed = decodeRecorded(recorded);
  if (!parsed.ok) throw new UnreadableStreamError(recorded.streamId, recorded.revision, parsed.detail);
  return parsed.event;
}
