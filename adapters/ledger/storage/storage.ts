/**
 * The ledger's storage port: a durable, append-only log of event records plus the index that finds a
 * stream's records without scanning the log. It knows nothing of expected revisions, metadata streams
 * or deletion: those rules live in the ledger core, which decides a batch and hands it here.
 *
 * Two backends implement it: `createMemoryStorage` (the `--memory` mode, for fast tests) and
 * `openFileStorage` (segment files, checksums, group commit, crash recovery). One contract suite
 * (`test/adapters/ledger/storage.contract.ts`) runs against both.
 */

/** One event as the log holds it. */
export interface LogRecord {
  /** Global log position: strictly increasing across the whole log, not necessarily contiguous. */
  readonly position: number;
  readonly streamId: string;
  /** The event's number within its stream; a stream's records have revisions 0, 1, 2, … in order. */
  readonly revision: number;
  /** The event id as a lowercase canonical UUID. */
  readonly eventId: string;
  readonly type: string;
  readonly contentType: string;
  /** When the ledger accepted the event, in microseconds since the Unix epoch. */
  readonly created: number;
  readonly data: Uint8Array;
  /** The client's custom metadata bytes (may be empty). */
  readonly metadata: Uint8Array;
}

/** A record before the storage has given it a position. */
export type NewRecord = Omit<LogRecord, 'position'>;

/** Counts for `tally events stats` and the ledger's own metrics. */
export interface StorageStats {
  readonly events: number;
  readonly streams: number;
  /** Bytes of log on disk (0 for the memory backend's disk, its payload bytes otherwise). */
  readonly bytes: number;
}

export interface LedgerStorage {
  /**
   * Durably appends one batch (the events of one append call). The batch becomes visible to reads
   * atomically, and only once it is on disk; concurrent calls share one fsync (group commit).
   * Resolves with the records and their assigned positions. On an I/O failure (a full disk, say) it
   * rejects with a `LedgerStorageError`, leaves nothing of the batch visible or on disk, and rejects
   * every batch queued behind it as well; later calls are tried afresh.
   */
  write(batch: readonly NewRecord[]): Promise<readonly LogRecord[]>;

  /** The positions of a stream's durable records, indexed by revision; `undefined` for a stream never written. */
  streamPositions(streamId: string): readonly number[] | undefined;

  /** The record at exactly `position` (a position returned by this storage); throws if there is none. */
  readAt(position: number): LogRecord;

  /** Up to `maxCount` durable records with `position >= from`, in log order. */
  readForward(from: number, maxCount: number): LogRecord[];

  /** Up to `maxCount` durable records with `position < before`, newest first. */
  readBackward(before: number, maxCount: number): LogRecord[];

  /** A position greater than every durable record's position and not greater than the next one's. */
  headPosition(): number;

  /** Every stream id with at least one durable record. */
  streamIds(): Iterable<string>;

  stats(): StorageStats;

  /** Flushes what is pending, persists whatever speeds up the next start, and releases files. */
  close(): Promise<void>;
}

/** Why a storage operation failed, as a stable code the ledger maps to a client-visible error. */
export type LedgerStorageErrorCode =
  /** The disk is full (ENOSPC/EDQUOT): free space, then appends work again. */
  | 'TALLY_LEDGER_DISK_FULL'
  /** Any other I/O failure while writing or syncing. */
  | 'TALLY_LEDGER_IO'
  /** A record inside the log (not a torn tail) failed its checksum: the data directory is damaged. */
  | 'TALLY_LEDGER_CORRUPT'
  /** The storage was used after `close()`. */
  | 'TALLY_LEDGER_CLOSED'
  /** The directory's `format.json` is not a ledger's: not the ledger's directory, or a damaged file. */
  | 'TALLY_LEDGER_FORMAT';

export class LedgerStorageError extends Error {
  constructor(
    readonly code: LedgerStorageErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LedgerStorageError';
  }
}
