/**
 * Translation between the generated protobuf messages and the ledger's own values. Everything
 * protocol-shaped stays in this folder: the core never sees a jspb message.
 */
import type { ExpectedRevision } from '../core/expected-revision.ts';
import type { ProposedEvent } from '../core/ledger-core.ts';
import type { LogRecord } from '../storage/storage.ts';
import { type StreamIdentifier, sharedPb, streamsPb, type UUID } from './proto.ts';

/** How the client wants event ids written back: EventStoreDB lets it choose per read. */
export type UuidFormat = 'string' | 'structured';

const utf8 = new TextDecoder('utf-8', { fatal: false });

export function streamNameOf(identifier: StreamIdentifier | undefined): string {
  return identifier ? utf8.decode(identifier.getStreamName_asU8()) : '';
}

export function streamIdentifier(streamId: string): StreamIdentifier {
  return new sharedPb.StreamIdentifier().setStreamName(Buffer.from(streamId, 'utf8'));
}

/** A UUID message as a canonical lowercase string; `undefined` when it is missing or malformed. */
export function uuidOf(uuid: UUID | undefined): string | undefined {
  if (!uuid) return undefined;
  if (uuid.hasStructured()) {
    const structured = uuid.getStructured()!;
    const hex =
      BigInt.asUintN(64, BigInt(structured.getMostSignificantBits())).toString(16).padStart(16, '0') +
      BigInt.asUintN(64, BigInt(structured.getLeastSignificantBits())).toString(16).padStart(16, '0');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
  const text = uuid.getString().toLowerCase();
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(text) ? text : undefined;
}

export function uuidMessage(id: string, format: UuidFormat): UUID {
  const uuid = new sharedPb.UUID();
  if (format === 'string') return uuid.setString(id);
  const hex = id.replaceAll('-', '');
  const structured = new sharedPb.UUID.Structured()
    .setMostSignificantBits(BigInt.asIntN(64, BigInt(`0x${hex.slice(0, 16)}`)).toString())
    .setLeastSignificantBits(BigInt.asIntN(64, BigInt(`0x${hex.slice(16)}`)).toString());
  return uuid.setStructured(structured);
}

/** .NET ticks (100 ns) since the Unix epoch, as EventStoreDB reports `created`. */
function ticksOf(createdMicros: number): string {
  return (BigInt(createdMicros) * 10n).toString();
}

export function recordedEvent(record: LogRecord, format: UuidFormat) {
  const event = new streamsPb.ReadResp.ReadEvent.RecordedEvent()
    .setId(uuidMessage(record.eventId, format))
    .setStreamIdentifier(streamIdentifier(record.streamId))
    .setStreamRevision(String(record.revision))
    .setPreparePosition(String(record.position))
    .setCommitPosition(String(record.position))
    .setCustomMetadata(record.metadata)
    .setData(record.data);
  const metadata = event.getMetadataMap();
  metadata.set('type', record.type);
  metadata.set('content-type', record.contentType);
  metadata.set('created', ticksOf(record.created));
  return event;
}

/** One `ReadResp` carrying an event, as reads and subscriptions send it. */
export function eventResponse(record: LogRecord, format: UuidFormat) {
  const readEvent = new streamsPb.ReadResp.ReadEvent()
    .setEvent(recordedEvent(record, format))
    .setCommitPosition(String(record.position));
  return new streamsPb.ReadResp().setEvent(readEvent);
}

type ProposedMessage = {
  getId(): UUID | undefined;
  getMetadataMap(): { get(key: string): string | undefined };
  getData_asU8(): Uint8Array;
  getCustomMetadata_asU8(): Uint8Array;
};

/** A proposed message as the core's event; a missing or malformed id is an `invalid-argument`. */
export function proposedEvent(message: ProposedMessage): ProposedEvent | undefined {
  const eventId = uuidOf(message.getId());
  if (!eventId) return undefined;
  const metadata = message.getMetadataMap();
  return {
    eventId,
    type: metadata.get('type') ?? '',
    contentType: metadata.get('content-type') ?? '',
    data: message.getData_asU8(),
    metadata: message.getCustomMetadata_asU8(),
  };
}

/** Options messages of Append, Delete and Tombstone share this shape. */
type RevisionOptions = {
  hasRevision(): boolean;
  getRevision(): string;
  hasNoStream(): boolean;
  hasAny(): boolean;
  hasStreamExists(): boolean;
};

export function expectedRevisionOf(options: RevisionOptions): ExpectedRevision {
  if (options.hasRevision()) return Number(options.getRevision());
  if (options.hasNoStream()) return 'no_stream';
  if (options.hasStreamExists()) return 'stream_exists';
  return 'any';
}

/** The numeric encoding EventStoreDB uses for expectations in error trailers. */
export function expectedVersionCode(expected: ExpectedRevision): string {
  if (expected === 'any') return '-2';
  if (expected === 'no_stream') return '-1';
  if (expected === 'stream_exists') return '-4';
  return String(expected);
}

export function allPosition(position: number) {
  return new sharedPb.AllStreamPosition()
    .setCommitPosition(String(position))
    .setPreparePosition(String(position));
}
