/**
 * The write queue. `enqueue` only queues; one flush loop takes everything queued, encodes it into
 * one buffer per segment, writes it with one positional write and syncs it with one `fdatasync`,
 * then publishes and resolves every batch of it. Batches arriving meanwhile wait for the next
 * flush, so under load many appends share each sync.
 *
 * A failed write or sync rejects the batches of that flush and all queued behind them (they were
 * decided against a log that now differs), the segment is cut back to its durable size, and the
 * next `enqueue` starts afresh.
 */
import type { Logger } from 'pino';
import type { LogRecord, NewRecord } from '../storage.ts';
import { LedgerStorageError } from '../storage.ts';
import { batchEndFlag, encodedLength, encodeRecord, flushEndFlag } from './record-codec.ts';
import type { Segments } from './segments.ts';

interface QueuedBatch {
  readonly records: readonly NewRecord[];
  readonly lengths: readonly number[];
  readonly size: number;
  readonly resolve: (records: readonly LogRecord[]) => void;
  readonly reject: (error: unknown) => void;
}

/** Called with each flushed batch's records and their encoded lengths once they are durable. */
export type PublishDurable = (records: readonly LogRecord[], lengths: readonly number[]) => void;

export class GroupCommit {
  private queue: QueuedBatch[] = [];
  private flushing: Promise<void> | undefined;
  private syncCount = 0;

  constructor(
    private readonly segments: Segments,
    private readonly publish: PublishDurable,
    private readonly logger?: Logger,
  ) {}

  /** How many data syncs the log has done: fewer than batches written when group commit works. */
  get syncs(): number {
    return this.syncCount;
  }

  /** Queues `batch`; resolves once it is synced and visible. Throws at once if it can never fit a segment. */
  enqueue(batch: readonly NewRecord[]): Promise<readonly LogRecord[]> {
    const lengths = batch.map(encodedLength);
    const size = lengths.reduce((sum, length) => sum + length, 0);
    if (size > this.segments.segmentSize) {
      throw new RangeError(
        `a batch of ${size} bytes cannot fit a log segment of ${this.segments.segmentSize} bytes (batches never span segments)`,
      );
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ records: batch, lengths, size, resolve, reject });
      this.flushing ??= this.flushLoop();
    });
  }

  /** Resolves once everything queued so far has been flushed or rejected. */
  async drained(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batches = this.queue;
        this.queue = [];
        await this.flush(batches);
      }
    } finally {
      this.flushing = undefined;
    }
  }

  private async flush(batches: readonly QueuedBatch[]): Promise<void> {
    let start = 0;
    while (start < batches.length) {
      try {
        const free = this.segments.segmentSize - this.segments.sizeOf(this.segments.active);
        if (batches[start]!.size > free) await this.segments.roll();
        start = await this.flushRun(batches, start);
      } catch (error) {
        const failure = storageErrorOf(error);
        const rejected = [...batches.slice(start), ...this.queue];
        this.queue = [];
        this.logger?.error(
          { code: failure.code, cause: failure.cause, batches: rejected.length },
          'a log flush failed: its batches and those queued behind them are rejected',
        );
        for (const batch of rejected) batch.reject(failure);
        return;
      }
    }
  }

  /** Writes and syncs the batches from `start` that fit the active segment; returns the index after them. */
  private async flushRun(batches: readonly QueuedBatch[], start: number): Promise<number> {
    const segment = this.segments.active;
    const flushStart = this.segments.sizeOf(segment);
    let end = start;
    let bytes = 0;
    while (end < batches.length && flushStart + bytes + batches[end]!.size <= this.segments.segmentSize) {
      bytes += batches[end++]!.size;
    }
    const buffer = Buffer.allocUnsafe(bytes);
    const written: LogRecord[][] = [];
    let at = 0;
    for (let b = start; b < end; b++) {
      const batch = batches[b]!;
      written.push(
        batch.records.map((record, r) => {
          const last = r === batch.records.length - 1;
          const flags = last ? batchEndFlag | (b === end - 1 ? flushEndFlag : 0) : 0;
          const position = this.segments.positionOf(segment, flushStart + at);
          at += encodeRecord(record, buffer, at, flags, flushStart);
          return withPosition(record, position);
        }),
      );
    }
    await this.segments.append(buffer);
    this.syncCount++;
    for (let b = start; b < end; b++) {
      const records = written[b - start]!;
      this.publish(records, batches[b]!.lengths);
      batches[b]!.resolve(records);
    }
    return end;
  }
}

/** Spelled out rather than spread: one object shape for every record, and much faster to build. */
function withPosition(record: NewRecord, position: number): LogRecord {
  return {
    position,
    streamId: record.streamId,
    revision: record.revision,
    eventId: record.eventId,
    type: record.type,
    contentType: record.contentType,
    created: record.created,
    data: record.data,
    metadata: record.metadata,
  };
}

function storageErrorOf(error: unknown): LedgerStorageError {
  if (error instanceof LedgerStorageError) return error;
  const code = (error as NodeJS.ErrnoException)?.code;
  const detail = `${code ?? 'error'}: ${(error as Error)?.message ?? String(error)}`;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new LedgerStorageError('TALLY_LEDGER_DISK_FULL', `the ledger's disk is full (${detail})`, {
      cause: error,
    });
  }
  return new LedgerStorageError('TALLY_LEDGER_IO', `the ledger could not write its log (${detail})`, {
    cause: error,
  });
}
