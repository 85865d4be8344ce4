/**
 * The durable storage backend: append-only segment files with a checksum per record, group commit,
 * an in-memory index persisted as a snapshot, and crash recovery at open. This file assembles the
 * parts; each has its own module.
 */
import { mkdir } from 'node:fs/promises';
import type { Logger } from 'pino';
import {
  type LedgerStorage,
  LedgerStorageError,
  type LogRecord,
  type NewRecord,
  type StorageStats,
} from '../storage.ts';
import { lockDirectory } from './directory-lock.ts';
import { GroupCommit } from './group-commit.ts';
import { settleSegmentSize } from './log-format.ts';
import type { LogLayout } from './log-layout.ts';
import { RecordReader, type RecordRun } from './record-reader.ts';
import { recoverLog } from './recovery.ts';
import { SnapshotScheduler } from './snapshot-scheduler.ts';

export interface FileStorageOptions {
  /** The data directory; created if missing. One process at a time may open it. */
  readonly directory: string;
  readonly logger?: Logger;
  /**
   * The largest segment file, in bytes (default 256 MiB; at most 4 GiB). A batch must fit in one
   * segment. Only used when the directory is created: a directory keeps its segment size.
   */
  readonly segmentSize?: number;
  /** Log bytes written between background index snapshots (default 64 MiB). */
  readonly snapshotEveryBytes?: number;
  /** Called after each index snapshot is durable, with the log position it covers (for metrics and tests). */
  readonly onSnapshot?: (coveredPosition: number) => void;
  /**
   * The calling process already holds the directory's lock (a parallel replay, which lays the log out
   * for its threads): the lock is neither taken nor released here.
   */
  readonly lockHeldByCaller?: boolean;
}

/** The port's counts plus what operators and tests of the file backend look at. */
export interface FileStorageStats extends StorageStats {
  /** Data syncs done since open: far fewer than batches when group commit works. */
  readonly syncs: number;
  readonly segments: number;
  /** Where the startup scan began: the snapshot's coverage, or 0 after a full scan. */
  readonly scannedFrom: number;
}

export interface FileLedgerStorage extends LedgerStorage {
  stats(): FileStorageStats;
  /**
   * Every record from the first at or after `from` to the head (records appended meanwhile included),
   * as checked runs of raw bytes in log order: for a reader of the whole log that decodes only the
   * fields it needs. Throws `TALLY_LEDGER_CORRUPT` where a record fails its checks.
   */
  scanForward(from: number): Iterable<RecordRun>;
  /** Where every record lies now, for readers in other threads (see log-layout.ts). */
  layout(): LogLayout;
}

const maxSegmentSize = 2 ** 32 - 1;
/**
 * How much of the log a scan reads at once. Each read's buffer stays alive while any of its events is
 * in use; one that outlives two young-generation collections is kept until a full one, and at 4 MiB
 * almost every buffer did. A `tally replay` of the core benchmark's farm (two threads, only the
 * workers and jobsets read models) peaked at 502–504 MiB RSS with 4 MiB reads and 414–418 MiB with
 * 256 KiB ones, at the same speed. Of all seven read models, it is lower only with the replay's limit on
 * heap growth (ops/cli/commands/replay-run.ts): without it, the big buffers' memory was what set off
 * the full collections, and smaller reads let the heap grow further before one.
 */
export const scanChunkSize = 256 * 1024;

/** Opens (creating or recovering) the log in `options.directory`. */
export async function openFileStorage(options: FileStorageOptions): Promise<FileLedgerStorage> {
  const { directory, logger } = options;
  const requested = options.segmentSize;
  if (
    requested !== undefined &&
    (!Number.isInteger(requested) || requested < 1024 || requested > maxSegmentSize)
  ) {
    throw new RangeError(`segmentSize must be an integer from 1024 to ${maxSegmentSize}, not ${requested}`);
  }
  await mkdir(directory, { recursive: true });
  const unlock = options.lockHeldByCaller ? () => undefined : lockDirectory(directory);
  try {
    const segmentSize = settleSegmentSize(directory, requested, logger);
    const started = performance.now();
    const recovered = recoverLog({ directory, segmentSize, logger });
    logger?.info(
      { directory, events: recovered.index.count, ms: Math.round(performance.now() - started) },
      'opened the ledger log',
    );
    return assemble(options, recovered, unlock);
  } catch (error) {
    unlock();
    throw error;
  }
}

function assemble(
  options: FileStorageOptions,
  { segments, index, scannedFrom }: ReturnType<typeof recoverLog>,
  unlock: () => void,
): FileLedgerStorage {
  const reader = new RecordReader(segments, index);
  let head = segments.headPosition();
  let closing: Promise<void> | undefined;

  const snapshots = new SnapshotScheduler(
    segments.directory,
    options.snapshotEveryBytes ?? 64 * 1024 * 1024,
    () => ({ segmentSize: segments.segmentSize, coveredPosition: head, content: index.content() }),
    () => head,
    { logger: options.logger, onWritten: options.onSnapshot },
    scannedFrom,
  );

  const commit = new GroupCommit(
    segments,
    (records, lengths) => {
      let bytes = 0;
      records.forEach((record, i) => {
        const length = lengths[i]!;
        index.add(record.position, length, record.streamId);
        reader.cache.add(record);
        head = record.position + length;
        bytes += length;
      });
      snapshots.noteWritten(bytes);
    },
    options.logger,
  );

  function ensureOpen(): void {
    if (closing) throw new LedgerStorageError('TALLY_LEDGER_CLOSED', 'the ledger storage is closed');
  }

  return {
    async write(batch: readonly NewRecord[]): Promise<readonly LogRecord[]> {
      ensureOpen();
      if (batch.length === 0) return [];
      return commit.enqueue(batch);
    },
    streamPositions(streamId) {
      ensureOpen();
      return index.streamPositions(streamId);
    },
    readAt(position) {
      ensureOpen();
      return reader.readAt(position);
    },
    readForward(from, maxCount) {
      ensureOpen();
      const start = index.lowerBound(from);
      return reader.readRange(start, Math.min(index.count, start + Math.max(0, maxCount)));
    },
    readBackward(before, maxCount) {
      ensureOpen();
      const end = index.lowerBound(before);
      return reader.readRange(Math.max(0, end - Math.max(0, maxCount)), end).reverse();
    },
    scanForward(from) {
      ensureOpen();
      // Checked before each run too: a closed storage's files are closed.
      const end = () => {
        ensureOpen();
        return index.count;
      };
      return reader.runs(index.lowerBound(from), end, scanChunkSize);
    },
    layout() {
      ensureOpen();
      return {
        directory: segments.directory,
        segmentSize: segments.segmentSize,
        segmentSizes: Array.from({ length: segments.count }, (_, segment) => segments.sizeOf(segment)),
        ...index.sharedExtents(),
      };
    },
    headPosition() {
      ensureOpen();
      return head;
    },
    streamIds() {
      ensureOpen();
      return index.streamIdList();
    },
    stats() {
      return {
        events: index.count,
        streams: index.streamCount,
        bytes: segments.totalBytes(),
        syncs: commit.syncs,
        segments: segments.count,
        scannedFrom,
      };
    },
    /** Idempotent: a second call waits for the first. */
    close() {
      closing ??= (async () => {
        try {
          await commit.drained();
          await snapshots.finish();
        } finally {
          segments.closeAll();
          unlock();
        }
      })();
      return closing;
    },
  };
}
