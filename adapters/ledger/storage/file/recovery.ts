/**
 * Startup: finds the segments, loads the index snapshot if it is usable, scans the log after it,
 * and repairs a torn tail.
 *
 * Torn tail or damage inside? A flush starts only after the previous flush's bytes were synced, and
 * every record carries the offset where its flush began. Let X be the offset of the first record
 * that is incomplete or fails its checksum:
 *  - in a segment that is not the last one, nothing can be torn (a segment is only left behind
 *    after its bytes were synced), so any damage, or a batch left without its last record, is
 *    corruption;
 *  - in the last segment, if some intact record after X was written by a flush that began after X,
 *    then the bytes at X had been synced before that flush: corruption, and opening stops;
 *  - otherwise every intact byte after X belongs to the same, last flush, whose sync never
 *    completed, so it was never acknowledged: a torn tail. The segment is cut back to the end of the
 *    last complete batch (a batch ending without its last-record flag is dropped whole).
 * Damage inside the last flush cannot be told apart from a crash during it; that flush is dropped.
 */
import { closeSync, fdatasyncSync, fstatSync, ftruncateSync, openSync } from 'node:fs';
import type { Logger } from 'pino';
import { LedgerStorageError } from '../storage.ts';
import { ChunkedFile } from './chunked-file.ts';
import { type IndexSnapshot, loadSnapshot, snapshotFileName } from './index-snapshot.ts';
import { PositionIndex } from './position-index.ts';
import { batchEndFlag, checkRecord, readStreamId, recordHeaderSize } from './record-codec.ts';
import { listSegments, Segments, segmentFileName } from './segments.ts';
import { syncDirectorySync } from './sync-directory.ts';

/** The log as found at startup, repaired and indexed. */
export interface RecoveredLog {
  readonly segments: Segments;
  readonly index: PositionIndex;
  /** The position the scan began at: the snapshot's coverage, or 0 after a full scan. */
  readonly scannedFrom: number;
}

interface RecoveryOptions {
  readonly directory: string;
  readonly segmentSize: number;
  readonly logger?: Logger | undefined;
}

/** Opens and indexes the log in `directory`; throws `TALLY_LEDGER_CORRUPT` if it is damaged inside. */
export function recoverLog(options: RecoveryOptions): RecoveredLog {
  const { directory, segmentSize, logger } = options;
  const numbers = listSegments(directory);
  numbers.forEach((number, expected) => {
    if (number !== expected) {
      throw new LedgerStorageError(
        'TALLY_LEDGER_CORRUPT',
        `${directory} lacks ${segmentFileName(expected)} although later segments exist: restore it from a backup`,
      );
    }
  });
  if (numbers.length === 0) createFirstSegment(directory);
  const segments = new Segments(directory, segmentSize);
  const fileSizes = Math.max(numbers.length, 1);
  const sizes = Array.from({ length: fileSizes }, (_, segment) => sizeOfFile(segments.pathOf(segment)));
  const snapshot = usableSnapshot(options, sizes);
  const index = snapshot ? PositionIndex.from(snapshot.content) : new PositionIndex();
  const scannedFrom = snapshot?.coveredPosition ?? 0;
  const firstScanned = Math.floor(scannedFrom / segmentSize);
  for (let segment = firstScanned; segment < sizes.length; segment++) {
    const from = segment === firstScanned ? scannedFrom - segment * segmentSize : 0;
    const isLast = segment === sizes.length - 1;
    sizes[segment] = scanSegment({
      segments,
      segment,
      from,
      size: sizes[segment]!,
      isLast,
      index,
      logger,
    });
  }
  sizes.forEach((size, segment) => {
    segments.adopt(segment, size);
  });
  return { segments, index, scannedFrom };
}

function usableSnapshot(options: RecoveryOptions, sizes: readonly number[]): IndexSnapshot | undefined {
  const { directory, segmentSize, logger } = options;
  const loaded = loadSnapshot(directory);
  const hasLog = sizes.some((size) => size > 0);
  if (loaded === undefined) {
    if (hasLog) logger?.warn({ directory }, `no ${snapshotFileName}: scanning the whole log`);
    return undefined;
  }
  const problem = 'invalid' in loaded ? loaded.invalid : snapshotProblem(loaded, segmentSize, sizes);
  if (problem === undefined) return loaded as IndexSnapshot;
  logger?.warn({ directory, problem }, `${snapshotFileName} is unusable: scanning the whole log`);
  return undefined;
}

function snapshotProblem(
  snapshot: IndexSnapshot,
  segmentSize: number,
  sizes: readonly number[],
): string | undefined {
  if (snapshot.segmentSize !== segmentSize) return 'it was written for another segment size';
  const segment = Math.floor(snapshot.coveredPosition / segmentSize);
  const offset = snapshot.coveredPosition - segment * segmentSize;
  if (segment >= sizes.length || offset > sizes[segment]!) return 'it covers more log than there is';
  const { positions, lengths } = snapshot.content;
  const last = positions.length - 1;
  if (last >= 0 && positions[last]! + lengths[last]! > snapshot.coveredPosition)
    return 'its records pass its coverage';
  return undefined;
}

interface SegmentScan {
  readonly segments: Segments;
  readonly segment: number;
  readonly from: number;
  readonly size: number;
  readonly isLast: boolean;
  readonly index: PositionIndex;
  readonly logger?: Logger | undefined;
}

/** Indexes the complete batches of one segment from `from`; returns the segment's durable size. */
function scanSegment(scan: SegmentScan): number {
  const { segments, segment, size, index } = scan;
  const path = segments.pathOf(segment);
  const fd = openSync(path, 'r+');
  try {
    const file = new ChunkedFile(fd, size);
    const pending: Array<{ position: number; length: number; streamId: string }> = [];
    let at = scan.from;
    let batchEnd = at;
    let damage: number | undefined;
    while (at < size) {
      let view = file.window(at, recordHeaderSize);
      const claimed = view.available >= 4 ? file.buffer.readUInt32LE(view.at) : 0;
      if (claimed > recordHeaderSize) view = file.window(at, claimed);
      const record = checkRecord(file.buffer, view.at, view.available);
      if (!record) {
        damage = at;
        break;
      }
      const position = segments.positionOf(segment, at);
      pending.push({ position, length: record.length, streamId: readStreamId(file.buffer, view.at) });
      at += record.length;
      if (record.flags & batchEndFlag) {
        for (const entry of pending) index.add(entry.position, entry.length, entry.streamId);
        pending.length = 0;
        batchEnd = at;
      }
    }
    if (batchEnd === size) return size;
    const laterFlush = damage === undefined ? undefined : findLaterFlush(file, damage);
    if (!scan.isLast || laterFlush !== undefined) throw corruption(path, damage ?? batchEnd, scan.isLast);
    scan.logger?.warn(
      { file: path, offset: batchEnd, bytes: size - batchEnd },
      'cutting off a torn tail: a write the crash interrupted, never acknowledged',
    );
    ftruncateSync(fd, batchEnd);
    fdatasyncSync(fd);
    return batchEnd;
  } finally {
    closeSync(fd);
  }
}

/** The offset of an intact record after `damage` written by a flush that began after it, if any. */
function findLaterFlush(file: ChunkedFile, damage: number): number | undefined {
  for (let at = damage + 1; at + recordHeaderSize <= file.size; at++) {
    let view = file.window(at, recordHeaderSize);
    const flushStart = file.buffer.readUInt32LE(view.at + 12);
    if (flushStart <= damage || flushStart > at) continue;
    const claimed = file.buffer.readUInt32LE(view.at);
    if (claimed < recordHeaderSize || claimed > file.size - at) continue;
    view = file.window(at, claimed);
    if (checkRecord(file.buffer, view.at, view.available)) return at;
  }
  return undefined;
}

function corruption(path: string, offset: number, isLast: boolean): LedgerStorageError {
  const why = isLast
    ? 'records written after it are intact, so this is not a write torn by a crash'
    : 'a segment other than the last must end with a complete batch';
  return new LedgerStorageError(
    'TALLY_LEDGER_CORRUPT',
    `the ledger log ${path} is damaged at byte offset ${offset} (a record is incomplete or fails its checksum; ${why}). ` +
      'Stop the ledger and restore its data directory from a backup. To keep only the events before the damage ' +
      `instead, cut the file there (truncate -s ${offset} ${path}) and move every later segment file and ` +
      `${snapshotFileName} out of the directory before starting again.`,
  );
}

function createFirstSegment(directory: string): void {
  closeSync(openSync(new Segments(directory, 1).pathOf(0), 'wx'));
  syncDirectorySync(directory);
}

function sizeOfFile(path: string): number {
  const fd = openSync(path, 'r');
  try {
    return fstatSync(fd).size;
  } finally {
    closeSync(fd);
  }
}
