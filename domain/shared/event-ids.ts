/**
 * Deterministic event ids. An event's id is a name-based UUID (version 5, SHA-1) of the id of what
 * caused it plus a discriminator, so a reaction retried after a crash appends events with the same
 * ids and the store recognises them instead of recording the facts twice.
 */
import { sha1 } from '@noble/hashes/legacy.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';

/** Tally's namespace for event ids (itself a v5 UUID of `tally.events` in the URL namespace). */
export const eventIdNamespace = '9098da4a-5517-5046-b230-861a817d88d9';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a UUID in its canonical textual form. */
export function isUuid(value: string): boolean {
  return uuidPattern.test(value);
}

/** RFC 9562 name-based UUID, version 5: SHA-1 of the namespace bytes and the UTF-8 name. */
export function uuidV5(namespace: string, name: string): string {
  if (!isUuid(namespace)) throw new Error(`not a UUID: ${namespace}`);
  const namespaceBytes = hexToBytes(namespace.replaceAll('-', ''));
  const nameBytes = utf8ToBytes(name);
  const input = new Uint8Array(namespaceBytes.length + nameBytes.length);
  input.set(namespaceBytes);
  input.set(nameBytes, namespaceBytes.length);
  const bytes = sha1(input).slice(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytesToHex(bytes);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The id of an event caused by `causeId`. `discriminator` tells apart the events one cause produces
 * (`0:BuildQueued`, `build-abc:BuildQueued`); the same pair always gives the same id.
 */
export function deriveEventId(causeId: string, discriminator: string): string {
  return uuidV5(eventIdNamespace, `${causeId}\u0000${discriminator}`);
}

/** Ids for the events one decision produced, discriminated by their position and type. */
export function deriveEventIds(
  causeId: string,
  events: readonly { readonly type: string }[],
  scope = '',
): readonly string[] {
  return events.map((event, index) => deriveEventId(causeId, `${scope}${index}:${event.type}`));
}
