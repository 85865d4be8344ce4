/**
 * Reads records back through the index. Consecutive records of one segment are fetched with one
 * `pread` of up to a megabyte and decoded from that buffer, which is what makes `$all` reads fast.
 * Each read gets a buffer of its own and the records' data are views into it (no copy); a lone
 * record, the kind the cache keeps, gets a buffer of exactly its size, so the cache pins no more.
 * Every record's checksum is checked on the way out, so damage is reported rather than served.
 */
import { LedgerStorageError, type LogRecord } from '../storage.ts';
import type { RecordExtents } from './log-layout.ts';
import { RecordCache } from './record-cache.ts';
import { checkRecord, decodeRecord } from './record-codec.ts';
import type { Segments } from './segments.ts';

const readChunkSize = 1024 * 1024;

/**
 * Consecutive records of one segment, read with one `pread` into a buffer of their own and each
 * checked (length, field lengths, checksum), not yet decoded.
 */
export interface RecordRun {
  readonly buffer: Buffer;
  /** The log position of `buffer[0]`. */
  readonly position: number;
  /** Where each record starts in `buffer`, in log order. */
  readonly offsets: readonly number[];
}

export class RecordReader {
  readonly cache = new RecordCache();

  constructor(
    private readonly segments: Segments,
    private readonly index: RecordExtents,
  ) {}

  /** The record at exactly `position`; throws if no durable record starts there. */
  readAt(position: number): LogRecord {
    const cached = this.cache.get(position);
    if (cached) return cached;
    const found = this.index.lowerBound(position);
    if (found === this.index.count || this.index.positionAt(found) !== position) {
      throw new RangeError(`no record at log position ${position}`);
    }
    const record = this.readRange(found, found + 1)[0]!;
    this.cache.add(record);
    return record;
  }

  /** The records with index numbers in `[start, end)`, in log order. */
  readRange(start: number, end: number): LogRecord[] {
    const records: LogRecord[] = [];
    for (const run of this.runs(start, end)) {
      for (const offset of run.offsets) records.push(decodeRecord(run.buffer, offset, run.position + offset));
    }
    return records;
  }

  /**
   * The records with index numbers in `[start, end)` as checked runs, read one run at a time as the
   * caller asks: for a reader of the whole log that decodes only what it needs. `end` is read anew
   * after each run, so a function of the index count sees records appended meanwhile.
   */
  *runs(start: number, end: number | (() => number), chunkSize = readChunkSize): Generator<RecordRun> {
    const endOf = typeof end === 'number' ? () => end : end;
    let first = start;
    let stop = endOf();
    while (first < stop) {
      const segment = this.segments.segmentOf(this.index.positionAt(first));
      let last = first + 1;
      let bytes = this.index.lengthAt(first);
      while (
        last < stop &&
        bytes + this.index.lengthAt(last) <= chunkSize &&
        this.segments.segmentOf(this.index.positionAt(last)) === segment
      ) {
        bytes += this.index.lengthAt(last++);
      }
      yield this.readRun(first, last, bytes);
      first = last;
      stop = endOf();
    }
  }

  private readRun(first: number, last: number, bytes: number): RecordRun {
    const base = this.index.positionAt(first);
    const span = Math.max(bytes, this.index.positionAt(last - 1) + this.index.lengthAt(last - 1) - base);
    // Not from Node's shared pool: a small pooled buffer would pin an unrelated 8 KiB slab.
    const buffer = Buffer.allocUnsafeSlow(span);
    this.segments.read(base, span, buffer);
    const offsets: number[] = [];
    for (let i = first; i < last; i++) {
      const position = this.index.positionAt(i);
      const at = position - base;
      if (!checkRecord(buffer, at, this.index.lengthAt(i))) throw damaged(this.segments, position);
      offsets.push(at);
    }
    return { buffer, position: base, offsets };
  }
}

function damaged(segments: Segments, position: number): LedgerStorageError {
  const segment = segments.segmentOf(position);
  const offset = position - segment * segments.segmentSize;
  return new LedgerStorageError(
    'TALLY_LEDGER_CORRUPT',
    `the ledger log ${segments.pathOf(segment)} is damaged at byte offset ${offset}: the record there fails its checksum. ` +
      'Stop the ledger and restore its data directory from a backup.',
  );
}
