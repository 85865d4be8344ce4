/**
 * The ledger's rules, independent of the wire protocol: optimistic concurrency, idempotent retries,
 * stream metadata, soft deletion and tombstones, and the notification that lets subscriptions go live.
 * Storage is a port, so the same rules run over the file log and over memory.
 */
import type { LedgerStorage, LogRecord, NewRecord } from '../storage/storage.ts';
import { createBoundedCache } from './bounded-cache.ts';
import { LedgerRefusalError } from './errors.ts';
import { type CurrentRevision, type ExpectedRevision, expectationHolds } from './expected-revision.ts';
import { findIdempotentRetry } from './idempotency.ts';
import { createRecentIds } from './recent-ids.ts';
import {
  deletedStreamTruncateBefore,
  firstVisibleRevision,
  isDeletedMark,
  isMetadataStream,
  metadataJson,
  metadataStreamOf,
  noMetadata,
  parseObject,
  parseStreamMetadata,
  type StreamMetadata,
  withoutDeletedMark,
} from './stream-metadata.ts';

/** One event of an append, as the client proposed it. */
export interface ProposedEvent {
  readonly eventId: string;
  readonly type: string;
  readonly contentType: string;
  readonly data: Uint8Array;
  readonly metadata: Uint8Array;
}

/** Where an append left the stream: its last revision, and the log position of its last event. */
export interface AppendResult {
  readonly nextRevision: number;
  readonly position: number;
}

export type ReadDirection = 'forwards' | 'backwards';

/** A stream read's answer: its events, or the in-band "not found" EventStoreDB gives for missing or soft-deleted streams. */
export type StreamReadResult =
  | { readonly found: true; readonly records: readonly LogRecord[] }
  | { readonly found: false };

export interface LedgerCoreOptions {
  /** The largest append accepted, summed over events' data and metadata (EventStoreDB's default: 1 MiB). */
  readonly maxAppendSize?: number;
  /** The clock, in microseconds since the Unix epoch; injected so tests can age events. */
  readonly nowMicros?: () => number;
}

export const defaultMaxAppendSize = 1024 * 1024;
export const tombstoneEventType = '$streamDeleted';
export const metadataEventType = '$metadata';

export interface LedgerCore {
  /** Appends events to a stream if `expected` holds; an exact retry of an earlier append returns its result and writes nothing. */
  append(
    streamId: string,
    expected: ExpectedRevision,
    events: readonly ProposedEvent[],
  ): Promise<AppendResult>;
  /** Reads up to `maxCount` events of a stream from a revision (inclusive), hiding what its metadata rules out. */
  readStream(
    streamId: string,
    from: number | 'start' | 'end',
    direction: ReadDirection,
    maxCount: number,
  ): StreamReadResult;
  /** Reads `$all` forwards from a position (inclusive) or backwards from one (exclusive). */
  readAll(from: number | 'start' | 'end', direction: ReadDirection, maxCount: number): readonly LogRecord[];
  /** Soft-deletes a stream: its events are hidden, and a later append starts it again after them. */
  softDelete(streamId: string, expected: ExpectedRevision): Promise<{ position: number }>;
  /** Tombstones a stream: it can never be read or written again. */
  tombstone(streamId: string, expected: ExpectedRevision): Promise<{ position: number }>;
  /** The current revision of a stream, counting appends still being written. */
  currentRevision(streamId: string): CurrentRevision;
  /** Registers a listener called, in log order, with each batch once it is durable. */
  onCommitted(listener: (records: readonly LogRecord[]) => void): () => void;
  readonly storage: LedgerStorage;
}

const metadataStreamRetention: StreamMetadata = { maxCount: 1 };

export function createLedgerCore(storage: LedgerStorage, options: LedgerCoreOptions = {}): LedgerCore {
  const maxAppendSize = options.maxAppendSize ?? defaultMaxAppendSize;
  const nowMicros = options.nowMicros ?? (() => Date.now() * 1000);
  const listeners = new Set<(records: readonly LogRecord[]) => void>();
  /** Streams with appends decided but not yet durable: their revision as those appends leave it. */
  const pending = new Map<string, { lastRevision: number; tombstoned: boolean; inFlight: number }>();
  const metadataCache = new Map<string, StreamMetadata>();
  const recentIds = createRecentIds();
  /** Whether a stream ends in a tombstone, for streams looked at recently: saves a log read per append. */
  const tombstones = createBoundedCache<string, boolean>(100_000);
  // Warm the id cache from the log's tail, so a client retrying across a ledger restart is still
  // recognised. Which events began an append is not recorded, so every tail event is remembered.
  for (const record of storage.readBackward(storage.headPosition(), 10_000).reverse())
    recentIds.remember(record);

  function durableLastRevision(streamId: string): number {
    return (storage.streamPositions(streamId)?.length ?? 0) - 1;
  }

  function lastRevisionOf(streamId: string): number {
    return pending.get(streamId)?.lastRevision ?? durableLastRevision(streamId);
  }

  function isTombstoned(streamId: string): boolean {
    if (pending.get(streamId)?.tombstoned) return true;
    const known = tombstones.get(streamId);
    if (known !== undefined) return known;
    const positions = storage.streamPositions(streamId);
    const last = positions?.[positions.length - 1];
    const tombstoned = last !== undefined && storage.readAt(last).type === tombstoneEventType;
    tombstones.set(streamId, tombstoned);
    return tombstoned;
  }

  function metadataOf(streamId: string): StreamMetadata {
    // As in EventStoreDB, a metadata stream keeps only its latest event readable.
    if (isMetadataStream(streamId)) return metadataStreamRetention;
    const cached = metadataCache.get(streamId);
    if (cached) return cached;
    const positions = storage.streamPositions(metadataStreamOf(streamId));
    const last = positions?.[positions.length - 1];
    const metadata = last === undefined ? noMetadata : parseStreamMetadata(storage.readAt(last).data);
    metadataCache.set(streamId, metadata);
    return metadata;
  }

  function firstVisible(streamId: string, lastRevision: number): number {
    const positions = storage.streamPositions(streamId) ?? [];
    return firstVisibleRevision(
      lastRevision,
      metadataOf(streamId),
      (revision) => storage.readAt(positions[revision]!).created,
      nowMicros(),
    );
  }

  /**
   * Soft-deleted, as EventStoreDB marks it: `$tb` at its greatest (`deletedStreamTruncateBefore`). A
   * `$tb` merely past the last event hides the events of a stream that still exists.
   */
  function isSoftDeleted(streamId: string): boolean {
    return isDeletedMark(metadataOf(streamId).truncateBefore);
  }

  /** Whether a metadata stream holds anything for `streamId` (a stream may exist by its metadata alone). */
  function hasMetadata(streamId: string): boolean {
    return (storage.streamPositions(metadataStreamOf(streamId))?.length ?? 0) > 0;
  }

  /** The JSON object of a stream's latest metadata, or `{}`. */
  function metadataBody(streamId: string): Record<string, unknown> {
    const positions = storage.streamPositions(metadataStreamOf(streamId));
    return positions?.length ? parseObject(storage.readAt(positions[positions.length - 1]!).data) : {};
  }

  /** Writes `body` as the stream's new metadata. */
  async function writeMetadata(streamId: string, body: Record<string, unknown>): Promise<LogRecord> {
    const metadataStream = metadataStreamOf(streamId);
    const event: ProposedEvent = {
      eventId: crypto.randomUUID(),
      type: metadataEventType,
      contentType: 'application/json',
      data: Buffer.from(metadataJson(body)),
      metadata: new Uint8Array(),
    };
    const written = await write(
      metadataStream,
      toRecords(metadataStream, lastRevisionOf(metadataStream) + 1, [event]),
    );
    return written[0]!;
  }

  function currentRevision(streamId: string): CurrentRevision {
    const last = lastRevisionOf(streamId);
    return last < 0 ? 'no_stream' : last;
  }

  function checkExpectation(streamId: string, expected: ExpectedRevision): number {
    if (isTombstoned(streamId)) throw new LedgerRefusalError({ kind: 'stream-deleted', streamId });
    const last = lastRevisionOf(streamId);
    const current = currentRevision(streamId);
    const deleted = isSoftDeleted(streamId);
    // As EventStoreDB: a soft-deleted stream may be written again as if new (or at its last revision),
    // but does not "exist"; a stream with metadata and no events does.
    if (deleted && expected === 'stream_exists')
      throw new LedgerRefusalError({ kind: 'stream-deleted', streamId });
    const holds =
      expectationHolds(expected, current) ||
      (expected === 'no_stream' && deleted) ||
      (expected === 'stream_exists' && last < 0 && hasMetadata(streamId));
    if (!holds)
      throw new LedgerRefusalError({ kind: 'wrong-expected-version', streamId, expected, actual: current });
    return last;
  }

  /** Writes records decided for one stream, keeping its in-flight revision until they are durable. */
  async function write(
    streamId: string,
    records: NewRecord[],
    tombstoning = false,
  ): Promise<readonly LogRecord[]> {
    const entry = pending.get(streamId) ?? {
      lastRevision: durableLastRevision(streamId),
      tombstoned: false,
      inFlight: 0,
    };
    entry.lastRevision = records[records.length - 1]!.revision;
    entry.tombstoned ||= tombstoning;
    entry.inFlight += 1;
    pending.set(streamId, entry);
    try {
      const written = await storage.write(records);
      if (isMetadataStream(streamId)) metadataCache.delete(streamId.slice(2));
      for (const record of written) recentIds.remember(record);
      tombstones.set(streamId, tombstoning);
      for (const listener of listeners) listener(written);
      return written;
    } finally {
      entry.inFlight -= 1;
      if (entry.inFlight === 0) pending.delete(streamId);
    }
  }

  function toRecords(streamId: string, firstRevision: number, events: readonly ProposedEvent[]): NewRecord[] {
    const created = nowMicros();
    return events.map((event, index) => ({
      streamId,
      revision: firstRevision + index,
      eventId: event.eventId,
      type: event.type,
      contentType: event.contentType,
      created,
      data: event.data,
      metadata: event.metadata,
    }));
  }

  function validate(streamId: string, events: readonly ProposedEvent[]): void {
    if (streamId.length === 0) {
      throw new LedgerRefusalError({
        kind: 'invalid-argument',
        message: 'the stream name must not be empty',
      });
    }
    let size = 0;
    for (const event of events) {
      const missing = [
        event.type ? undefined : 'type',
        event.contentType ? undefined : 'content-type',
      ].filter((name): name is string => name !== undefined);
      if (missing.length > 0)
        throw new LedgerRefusalError({ kind: 'missing-required-metadata-property', properties: missing });
      // As EventStoreDB counts an event: its type name too, in UTF-16 code units' bytes.
      size += event.data.length + event.metadata.length + event.type.length * 2;
    }
    if (size > maxAppendSize)
      throw new LedgerRefusalError({ kind: 'maximum-append-size-exceeded', maxAppendSize });
  }

  async function append(streamId: string, expected: ExpectedRevision, proposed: readonly ProposedEvent[]) {
    let events = proposed;
    validate(streamId, events);
    // A deleted stream refuses even a retry of what was appended before its deletion.
    if (isTombstoned(streamId)) throw new LedgerRefusalError({ kind: 'stream-deleted', streamId });
    const retry = findIdempotentRetry(storage, recentIds, streamId, expected, events);
    if (retry === 'partial')
      throw new LedgerRefusalError({
        kind: 'wrong-expected-version',
        streamId,
        expected,
        actual: currentRevision(streamId),
      });
    if (retry) return retry;
    const last = checkExpectation(streamId, expected);
    if (events.length > 0 && isSoftDeleted(streamId)) {
      // Written again after a soft delete: the old events stay hidden, the new ones follow them.
      await writeMetadata(streamId, { ...withoutDeletedMark(metadataBody(streamId)), $tb: last + 1 });
    }
    if (events.length > 0 && isMetadataStream(streamId) && isSoftDeleted(streamId.slice(2))) {
      // New metadata of a soft-deleted stream keeps its old events hidden (EventStoreDB's undelete).
      const target = streamId.slice(2);
      const undeleted = { ...parseObject(events[events.length - 1]!.data), $tb: lastRevisionOf(target) + 1 };
      events = [
        ...events.slice(0, -1),
        { ...events[events.length - 1]!, data: Buffer.from(metadataJson(undeleted)) },
      ];
    }
    if (events.length === 0) {
      // Only the expectation is checked. The position lies after every event recorded and before the
      // next one, as EventStoreDB's empty commit does: a subscription from it misses nothing to come.
      return { nextRevision: last, position: Math.max(0, storage.headPosition() - 1) };
    }
    const written = await write(streamId, toRecords(streamId, last + 1, events));
    const final = written[written.length - 1]!;
    return { nextRevision: final.revision, position: final.position };
  }

  function readStream(
    streamId: string,
    from: number | 'start' | 'end',
    direction: ReadDirection,
    maxCount: number,
  ) {
    if (isTombstoned(streamId)) throw new LedgerRefusalError({ kind: 'stream-deleted', streamId });
    const positions = storage.streamPositions(streamId);
    const last = (positions?.length ?? 0) - 1;
    if (!positions || last < 0) return { found: false } as const;
    const first = firstVisible(streamId, last);
    // A soft-deleted stream is gone; one whose events have only aged or been truncated away is there, empty.
    if (first > last && isSoftDeleted(streamId)) return { found: false } as const;
    const revisions: number[] = [];
    if (direction === 'forwards') {
      const start = Math.max(from === 'start' ? 0 : from === 'end' ? last + 1 : from, first);
      for (let revision = start; revision <= last && revisions.length < maxCount; revision++)
        revisions.push(revision);
    } else {
      const start = Math.min(from === 'end' ? last : from === 'start' ? 0 : from, last);
      for (let revision = start; revision >= first && revisions.length < maxCount; revision--)
        revisions.push(revision);
    }
    return {
      found: true,
      records: revisions.map((revision) => storage.readAt(positions[revision]!)),
    } as const;
  }

  function readAll(from: number | 'start' | 'end', direction: ReadDirection, maxCount: number) {
    if (direction === 'forwards') {
      if (from === 'end') return [];
      return storage.readForward(from === 'start' ? 0 : from, maxCount);
    }
    if (from === 'start') return [];
    return storage.readBackward(from === 'end' ? storage.headPosition() : from, maxCount);
  }

  async function softDelete(streamId: string, expected: ExpectedRevision) {
    const last = checkExpectation(streamId, expected);
    // Nothing to delete: EventStoreDB answers a stream that never was with a wrong expected version.
    if (last < 0 && !hasMetadata(streamId))
      throw new LedgerRefusalError({
        kind: 'wrong-expected-version',
        streamId,
        expected,
        actual: 'no_stream',
      });
    // As EventStoreDB writes it: the deleted mark alone, the stream's other metadata gone with it.
    const written = await writeMetadata(streamId, { $tb: deletedStreamTruncateBefore });
    return { position: written.position };
  }

  async function tombstone(streamId: string, expected: ExpectedRevision) {
    const last = checkExpectation(streamId, expected);
    const event: ProposedEvent = {
      eventId: crypto.randomUUID(),
      type: tombstoneEventType,
      contentType: 'application/json',
      data: new Uint8Array(),
      metadata: new Uint8Array(),
    };
    const written = await write(streamId, toRecords(streamId, last + 1, [event]), true);
    return { position: written[0]!.position };
  }

  return {
    append,
    readStream,
    readAll,
    softDelete,
    tombstone,
    currentRevision,
    onCommitted(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    storage,
  };
}
