/**
 * An event of the ledger's log as a `RecordedEvent` that reads its record's bytes only when asked:
 * a full read (`tally replay`) hands every event to projections that mostly look at the type alone,
 * and the JSON of an event nobody decodes need never be parsed. The record was checked (length,
 * field lengths, checksum) before it got here; the content is read, and its problems reported,
 * exactly as `fromStoredBytes` reads them.
 *
 * Only `position`, `revision` and `type` are own properties; the rest are getters, so spreading an
 * event (`{ ...event }`) copies those three only: name the fields you need.
 */
import { contentProblems, readStoredData, readStoredMetadata } from '../eventstore/esdb-events.ts';
import type { EventContentProblem, RecordedEvent } from '../eventstore/event-store.ts';
import { readEventId } from './storage/file/event-id.ts';
import { recordHeaderSize } from './storage/file/record-codec.ts';

const dollar = 0x24;

/** The offsets of a record's variable fields; see record-codec.ts for the layout. */
const streamIdStart = (offset: number) => offset + recordHeaderSize;
const typeStart = (source: Buffer, offset: number) =>
  streamIdStart(offset) + source.readUInt16LE(offset + 10);
const contentTypeStart = (source: Buffer, offset: number) =>
  typeStart(source, offset) + source.readUInt16LE(offset + 48);

/**
 * True for the store's own events (type or stream starting with `$`), told from the record's bytes
 * without decoding a string.
 */
export function isSystemRecord(source: Buffer, offset: number): boolean {
  const streamIdLength = source.readUInt16LE(offset + 10);
  if (streamIdLength > 0 && source[streamIdStart(offset)] === dollar) return true;
  return source.readUInt16LE(offset + 48) > 0 && source[typeStart(source, offset)] === dollar;
}

export class StoredEvent implements RecordedEvent {
  readonly type: string;
  readonly revision: number;
  readonly #source: Buffer;
  readonly #offset: number;
  #streamId: string | undefined;
  #id: string | undefined;
  #created: Date | undefined;
  /** Set with `#metadata` and `#malformed` on the first read of the content. */
  #data: unknown;
  #metadata: Record<string, unknown> | undefined;
  #malformed: EventContentProblem[] | undefined;

  /** The checked record at `offset` of `source`, at log `position`; `source` must not be reused. */
  constructor(
    source: Buffer,
    offset: number,
    readonly position: number,
  ) {
    this.#source = source;
    this.#offset = offset;
    const type = typeStart(source, offset);
    this.type = source.toString('utf8', type, type + source.readUInt16LE(offset + 48));
    this.revision = source.readDoubleLE(offset + 16);
  }

  get streamId(): string {
    const start = streamIdStart(this.#offset);
    this.#streamId ??= this.#source.toString(
      'utf8',
      start,
      start + this.#source.readUInt16LE(this.#offset + 10),
    );
    return this.#streamId;
  }

  get id(): string {
    this.#id ??= readEventId(this.#source, this.#offset + 32);
    return this.#id;
  }

  /** The ledger keeps microseconds; a `Date` holds milliseconds. */
  get created(): Date {
    this.#created ??= new Date(Math.floor(this.#source.readDoubleLE(this.#offset + 24) / 1000));
    return this.#created;
  }

  get data(): unknown {
    if (this.#metadata === undefined) this.#read();
    return this.#data;
  }

  get metadata(): Readonly<Record<string, unknown>> {
    if (this.#metadata === undefined) this.#read();
    return this.#metadata!;
  }

  get malformed(): readonly EventContentProblem[] | undefined {
    if (this.#metadata === undefined) this.#read();
    return this.#malformed;
  }

  /** Parses data and metadata together, once: whether the event is malformed depends on both. */
  #read(): void {
    const source = this.#source;
    const offset = this.#offset;
    const contentType = contentTypeStart(source, offset);
    const dataStart = contentType + source.readUInt16LE(offset + 50);
    const dataEnd = dataStart + source.readUInt32LE(offset + 52);
    const metadataEnd = dataEnd + source.readUInt32LE(offset + 56);
    const data = readStoredData(source.toString('utf8', contentType, dataStart), source, dataStart, dataEnd);
    const metadata = readStoredMetadata(source, dataEnd, metadataEnd);
    this.#data = data.value;
    this.#malformed = contentProblems(data, metadata);
    this.#metadata = metadata.value;
  }
}
