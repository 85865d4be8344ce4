/**
 * Conversions between Tally's events and `@eventstore/db-client`'s: appends are checked before they
 * leave, and recorded events are read defensively, so that a binary or malformed event is reported
 * (`malformed`) instead of crashing a reader.
 */
import { type EventData, type JSONType, jsonEvent, type ResolvedEvent } from '@eventstore/db-client';
import { EventStoreError } from './errors.ts';
import { toSafeNumber } from './esdb-numbers.ts';
import type { EventContentProblem, NewEvent, RecordedEvent } from './event-store.ts';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function invalid(stream: string, index: number, why: string): EventStoreError {
  return new EventStoreError(
    { code: 'TALLY_EVENTSTORE_INVALID_EVENT', stream, index },
    `event ${index} of the append to ${stream} cannot be stored: ${why}`,
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks one event to append and turns it into the client's JSON event. */
export function toEventData(stream: string, event: NewEvent, index: number): EventData {
  if (typeof event.type !== 'string' || event.type.length === 0)
    throw invalid(stream, index, 'its type is empty');
  if (event.type.startsWith('$'))
    throw invalid(stream, index, `type ${event.type} is reserved for the store`);
  if (event.id !== undefined && !uuidPattern.test(event.id)) {
    throw invalid(stream, index, `its id ${JSON.stringify(event.id)} is not a UUID`);
  }
  if (typeof event.data === 'string') {
    throw invalid(stream, index, 'its data is a bare string, which readers cannot tell from malformed JSON');
  }
  let text: string | undefined;
  try {
    text = JSON.stringify(event.data);
  } catch (error) {
    throw invalid(stream, index, `its data is not JSON (${(error as Error).message})`);
  }
  if (text === undefined) throw invalid(stream, index, 'its data is not JSON');
  if (event.metadata !== undefined && !isPlainObject(event.metadata)) {
    throw invalid(stream, index, 'its metadata is not an object');
  }
  return jsonEvent({
    ...(event.id === undefined ? {} : { id: event.id.toLowerCase() }),
    type: event.type,
    // The client's JSON type leaves out numbers, booleans and null, which are JSON all the same.
    data: event.data as JSONType,
    ...(event.metadata === undefined ? {} : { metadata: event.metadata }),
  });
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function bytesProblem(part: EventContentProblem['part'], bytes: Uint8Array): EventContentProblem {
  try {
    return { part, reason: 'invalid-json', raw: strictUtf8.decode(bytes) };
  } catch {
    return { part, reason: 'binary', raw: Buffer.from(bytes).toString('base64') };
  }
}

function readData(isJson: boolean, data: unknown): { data: unknown; problem?: EventContentProblem } {
  if (!isJson) {
    const bytes = data instanceof Uint8Array ? data : new Uint8Array();
    return {
      data: null,
      problem: { part: 'data', reason: 'binary', raw: Buffer.from(bytes).toString('base64') },
    };
  }
  // The client returns the raw text when a JSON body does not parse; a parsed string body is JSON text.
  if (typeof data === 'string') {
    try {
      JSON.parse(data);
    } catch {
      return { data: null, problem: { part: 'data', reason: 'invalid-json', raw: data } };
    }
  }
  return { data };
}

function readMetadata(metadata: unknown): {
  metadata: Record<string, unknown>;
  problem?: EventContentProblem;
} {
  if (metadata === undefined) return { metadata: {} };
  if (metadata instanceof Uint8Array) return { metadata: {}, problem: bytesProblem('metadata', metadata) };
  if (isPlainObject(metadata)) return { metadata };
  return {
    metadata: {},
    problem: { part: 'metadata', reason: 'not-an-object', raw: JSON.stringify(metadata) },
  };
}

/**
 * A client event as Tally's `RecordedEvent`; `undefined` for an entry without an event (an unresolved
 * link). The position is −1 on servers too old to report positions on stream reads (before 22.6).
 */
export function fromResolvedEvent(resolved: ResolvedEvent): RecordedEvent | undefined {
  const recorded = resolved.event;
  if (recorded === undefined) return undefined;
  const data = readData(recorded.isJson, recorded.data);
  const metadata = readMetadata(recorded.metadata);
  const problems = [data.problem, metadata.problem].filter((p): p is EventContentProblem => p !== undefined);
  const commit = recorded.position?.commit ?? resolved.commitPosition;
  return {
    streamId: recorded.streamId,
    revision: toSafeNumber(recorded.revision),
    position: commit === undefined ? -1 : toSafeNumber(commit),
    id: recorded.id,
    type: recorded.type,
    data: data.data,
    metadata: metadata.metadata,
    created: recorded.created,
    ...(problems.length > 0 ? { malformed: problems } : {}),
  };
}

/** One part of an event's stored content, read: its value, or what is wrong with it. */
export interface StoredPart<T> {
  readonly value: T;
  readonly problem?: EventContentProblem;
}

const byteOrderMark = [0xef, 0xbb, 0xbf] as const;

/**
 * The UTF-8 text of `source[start, end)`, read as `TextDecoder` reads it (a leading byte order mark
 * dropped, bad sequences replaced) without making a view of the bytes first: this runs for every
 * event of a full read.
 */
function utf8Text(source: Buffer, start: number, end: number): string {
  const bom =
    end - start >= 3 &&
    source[start] === byteOrderMark[0] &&
    source[start + 1] === byteOrderMark[1] &&
    source[start + 2] === byteOrderMark[2];
  return source.toString('utf8', bom ? start + 3 : start, end);
}

/** The data stored at `source[start, end)` with `contentType`, read as `fromResolvedEvent` reads it. */
export function readStoredData(
  contentType: string,
  source: Buffer,
  start: number,
  end: number,
): StoredPart<unknown> {
  if (contentType !== 'application/json') {
    const raw = source.subarray(start, end).toString('base64');
    return { value: null, problem: { part: 'data', reason: 'binary', raw } };
  }
  try {
    return { value: JSON.parse(utf8Text(source, start, end)) };
  } catch {
    return { value: null, problem: bytesProblem('data', source.subarray(start, end)) };
  }
}

/** The metadata stored at `source[start, end)` (empty for none), read as `fromResolvedEvent` reads it. */
export function readStoredMetadata(
  source: Buffer,
  start: number,
  end: number,
): StoredPart<Record<string, unknown>> {
  if (end === start) return { value: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8Text(source, start, end));
  } catch {
    return { value: {}, problem: bytesProblem('metadata', source.subarray(start, end)) };
  }
  const metadata = readMetadata(parsed);
  return metadata.problem ? { value: {}, problem: metadata.problem } : { value: metadata.metadata };
}

/** The problems of an event's two parts; `undefined` when there is none. */
export function contentProblems(
  data: StoredPart<unknown>,
  metadata: StoredPart<unknown>,
): EventContentProblem[] | undefined {
  if (!data.problem && !metadata.problem) return undefined;
  return [data.problem, metadata.problem].filter((p): p is EventContentProblem => p !== undefined);
}

const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/**
 * An event as Tally's `RecordedEvent` from the bytes a store keeps (the embedded ledger's records, read
 * without a client): the same reading, and the same problems reported, as `fromResolvedEvent` gives.
 */
export function fromStoredBytes(stored: {
  readonly streamId: string;
  readonly revision: number;
  readonly position: number;
  readonly id: string;
  readonly type: string;
  readonly contentType: string;
  readonly data: Uint8Array;
  readonly metadata: Uint8Array;
  readonly created: Date;
}): RecordedEvent {
  const data = readStoredData(stored.contentType, asBuffer(stored.data), 0, stored.data.length);
  const metadata = readStoredMetadata(asBuffer(stored.metadata), 0, stored.metadata.length);
  const problems = contentProblems(data, metadata);
  return {
    streamId: stored.streamId,
    revision: stored.revision,
    position: stored.position,
    id: stored.id,
    type: stored.type,
    data: data.value,
    metadata: metadata.value,
    created: stored.created,
    ...(problems ? { malformed: problems } : {}),
  };
}

/** True for the store's own events, which Tally never delivers unless asked. */
export function isSystemEvent(event: Pick<RecordedEvent, 'streamId' | 'type'>): boolean {
  return event.type.startsWith('$') || event.streamId.startsWith('$');
}
