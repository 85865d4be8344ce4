/**
 * Record builders shared by the ledger storage tests: small, deterministic events whose fields all
 * differ, so a round trip that mixes up two fields is caught.
 */
import { randomUUID } from 'node:crypto';
import type { LedgerStorage, LogRecord, NewRecord } from '../../../adapters/ledger/storage/storage.ts';

const encoder = new TextEncoder();

/** A record for `streamId` at `revision`, with data and metadata naming both. */
export function newRecord(streamId: string, revision: number, overrides: Partial<NewRecord> = {}): NewRecord {
  return {
    streamId,
    revision,
    eventId: randomUUID(),
    type: `Happened${revision}`,
    contentType: 'application/json',
    created: 1_700_000_000_000_000 + revision * 1_000_001,
    data: encoder.encode(JSON.stringify({ streamId, revision })),
    metadata: encoder.encode(revision % 2 === 0 ? '' : `{"r":${revision}}`),
    ...overrides,
  };
}

/** `count` records continuing `streamId` from `first`. */
export function newRecords(streamId: string, first: number, count: number): NewRecord[] {
  return Array.from({ length: count }, (_, i) => newRecord(streamId, first + i));
}

/** A record without its position, for comparing what was written with what is read. */
export function withoutPosition({ position: _, ...record }: LogRecord): NewRecord {
  return { ...record, data: new Uint8Array(record.data), metadata: new Uint8Array(record.metadata) };
}

/** Every record of the storage, in log order. */
export function readAll(storage: LedgerStorage): LogRecord[] {
  return storage.readForward(0, Number.MAX_SAFE_INTEGER);
}
