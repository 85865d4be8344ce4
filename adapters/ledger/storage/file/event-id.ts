/**
 * Event ids travel as canonical UUID strings but are stored as their 16 raw bytes: the log saves 20
 * bytes a record, and a malformed id is refused before it reaches the disk.
 */

const canonicalUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Throws unless `eventId` is a canonical UUID (any case). */
export function assertEventId(eventId: string): void {
  if (!canonicalUuid.test(eventId.toLowerCase())) {
    throw new TypeError(`event id ${JSON.stringify(eventId)} is not a UUID`);
  }
}

/** Writes `eventId` (checked by `assertEventId`) as 16 bytes at `offset`. */
export function writeEventId(eventId: string, target: Buffer, offset: number): void {
  target.write(eventId.replace(/-/g, ''), offset, 16, 'hex');
}

/** Reads the 16 bytes at `offset` back as a lowercase canonical UUID. */
export function readEventId(source: Buffer, offset: number): string {
  const hex = source.toString('hex', offset, offset + 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
