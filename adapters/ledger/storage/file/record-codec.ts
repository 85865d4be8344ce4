/**
 * The binary form of one log record. Every integer is little-endian; `revision` and `created` are
 * doubles because both are JS numbers that must round-trip exactly.
 *
 *   offset size field
 *        0    4 length          the whole record, header included
 *        4    4 crc32           of bytes [8, length): everything after the checksum itself
 *        8    1 flags           bit 0: last record of its batch; bit 1: last record of its flush
 *        9    1 format version  1
 *       10    2 streamId bytes
 *       12    4 flush start     in-segment offset where the flush that wrote this record began
 *       16    8 revision
 *       24    8 created         microseconds since the Unix epoch
 *       32   16 eventId         raw UUID bytes
 *       48    2 type bytes
 *       50    2 contentType bytes
 *       52    4 data bytes
 *       56    4 metadata bytes
 *       60      streamId, type, contentType (UTF-8), data, metadata
 *
 * The length is not covered by the checksum, but the field lengths are, and they must add up to it,
 * so a damaged length is caught too. The flush start lets recovery tell a torn write from damage
 * inside the log (see recovery.ts).
 */
import { crc32 } from 'node:zlib';
import type { LogRecord, NewRecord } from '../storage.ts';
import { assertEventId, readEventId, writeEventId } from './event-id.ts';

export const recordHeaderSize = 60;
export const formatVersion = 1;
/** Flag: this record closes its batch, so the batch is complete on disk. */
export const batchEndFlag = 1;
/** Flag: this record closes the bytes written (and synced) by one flush. */
export const flushEndFlag = 2;

const maxShortField = 0xffff;

/** The encoded size of `record`; throws if a field cannot be stored, so that encoding cannot fail later. */
export function encodedLength(record: NewRecord): number {
  assertEventId(record.eventId);
  const streamId = Buffer.byteLength(record.streamId);
  const type = Buffer.byteLength(record.type);
  const contentType = Buffer.byteLength(record.contentType);
  if (streamId > maxShortField || type > maxShortField || contentType > maxShortField) {
    throw new RangeError('a stream id, event type or content type is longer than 65535 bytes');
  }
  return recordHeaderSize + streamId + type + contentType + record.data.length + record.metadata.length;
}

/** Encodes `record` at `offset` of `target` (which must have room for it); returns its length. */
export function encodeRecord(
  record: NewRecord,
  target: Buffer,
  offset: number,
  flags: number,
  flushStart: number,
): number {
  let at = offset + recordHeaderSize;
  const streamId = target.write(record.streamId, at, 'utf8');
  at += streamId;
  const type = target.write(record.type, at, 'utf8');
  at += type;
  const contentType = target.write(record.contentType, at, 'utf8');
  at += contentType;
  target.set(record.data, at);
  at += record.data.length;
  target.set(record.metadata, at);
  at += record.metadata.length;
  const length = at - offset;
  target.writeUInt32LE(length, offset);
  target.writeUInt8(flags, offset + 8);
  target.writeUInt8(formatVersion, offset + 9);
  target.writeUInt16LE(streamId, offset + 10);
  target.writeUInt32LE(flushStart, offset + 12);
  target.writeDoubleLE(record.revision, offset + 16);
  target.writeDoubleLE(record.created, offset + 24);
  writeEventId(record.eventId, target, offset + 32);
  target.writeUInt16LE(type, offset + 48);
  target.writeUInt16LE(contentType, offset + 50);
  target.writeUInt32LE(record.data.length, offset + 52);
  target.writeUInt32LE(record.metadata.length, offset + 56);
  target.writeUInt32LE(crc32(target.subarray(offset + 8, offset + length)), offset + 4);
  return length;
}

/** What a record's header says, once its bytes have been checked. */
export interface CheckedRecord {
  readonly length: number;
  readonly flags: number;
  readonly flushStart: number;
}

/**
 * Checks the record at `offset`, of which `available` bytes are in `source`: its length must be
 * plausible and fit, its field lengths must add up, and its checksum must match. Returns
 * `undefined` for anything else, whether torn or damaged; the caller knows which from context.
 */
export function checkRecord(source: Buffer, offset: number, available: number): CheckedRecord | undefined {
  if (available < recordHeaderSize) return undefined;
  const length = source.readUInt32LE(offset);
  if (length < recordHeaderSize || length > available) return undefined;
  if (source[offset + 9] !== formatVersion) return undefined;
  const flags = source[offset + 8]!;
  if (flags > (batchEndFlag | flushEndFlag)) return undefined;
  const fields =
    recordHeaderSize +
    source.readUInt16LE(offset + 10) +
    source.readUInt16LE(offset + 48) +
    source.readUInt16LE(offset + 50) +
    source.readUInt32LE(offset + 52) +
    source.readUInt32LE(offset + 56);
  if (fields !== length) return undefined;
  if (crc32(source.subarray(offset + 8, offset + length)) !== source.readUInt32LE(offset + 4))
    return undefined;
  return { length, flags, flushStart: source.readUInt32LE(offset + 12) };
}

/** The stream id of the (already checked) record at `offset`. */
export function readStreamId(source: Buffer, offset: number): string {
  const start = offset + recordHeaderSize;
  return source.toString('utf8', start, start + source.readUInt16LE(offset + 10));
}

/**
 * Decodes the (already checked) record at `offset`. Data and metadata are views into `source`, not
 * copies: callers hand in a buffer of their own that they will not reuse.
 */
export function decodeRecord(source: Buffer, offset: number, position: number): LogRecord {
  let at = offset + recordHeaderSize;
  const streamIdEnd = at + source.readUInt16LE(offset + 10);
  const streamId = source.toString('utf8', at, streamIdEnd);
  at = streamIdEnd;
  const typeEnd = at + source.readUInt16LE(offset + 48);
  const type = source.toString('utf8', at, typeEnd);
  at = typeEnd;
  const contentTypeEnd = at + source.readUInt16LE(offset + 50);
  const contentType = source.toString('utf8', at, contentTypeEnd);
  at = contentTypeEnd;
  const dataEnd = at + source.readUInt32LE(offset + 52);
  const data = new Uint8Array(source.buffer, source.byteOffset + at, dataEnd - at);
  const metadataLength = source.readUInt32LE(offset + 56);
  const metadata = new Uint8Array(source.buffer, source.byteOffset + dataEnd, metadataLength);
  return {
    position,
    streamId,
    revision: source.readDoubleLE(offset + 16),
    eventId: readEventId(source, offset + 32),
    type,
    contentType,
    created: source.readDoubleLE(offset + 24),
    data,
    metadata,
  };
}
