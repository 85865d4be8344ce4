/**
 * Where every record of the log lies, for readers in other threads of the process that holds the log
 * (a parallel replay's threads): each record's position and length in memory the threads share, and
 * each segment's durable size. A reader of the whole log needs nothing else of the index; rebuilding
 * the whole index in every thread cost each one about 230 MB at 1.76 million events.
 *
 * A layout stays true while its holder keeps the directory's lock and appends nothing.
 */
import { RecordReader, type RecordRun } from './record-reader.ts';
import { Segments } from './segments.ts';

export interface LogLayout {
  readonly directory: string;
  readonly segmentSize: number;
  /** Each segment's durable size, in segment order. */
  readonly segmentSizes: readonly number[];
  /** Each record's log position, in log order (backed by a SharedArrayBuffer). */
  readonly positions: Float64Array;
  /** Each record's length in bytes (backed by a SharedArrayBuffer). */
  readonly lengths: Uint32Array;
}

/** Where each record lies, as the record reader looks records up. */
export interface RecordExtents {
  readonly count: number;
  positionAt(index: number): number;
  lengthAt(index: number): number;
  /** The index of the first record whose position is >= `position` (`count` if none). */
  lowerBound(position: number): number;
}

/** The index of the first of `positions[0, size)` that is >= `position` (`size` if none). */
export function lowerBoundOf(positions: Float64Array, size: number, position: number): number {
  let low = 0;
  let high = size;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (positions[middle]! < position) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Copies `count` entries of `source` into memory that can be handed to other threads without a copy. */
export function sharedCopy<T extends Float64Array | Uint32Array>(
  make: new (buffer: SharedArrayBuffer) => T,
  source: T,
  count: number,
): T {
  const copy = new make(new SharedArrayBuffer(count * source.BYTES_PER_ELEMENT));
  copy.set(source.subarray(0, count));
  return copy;
}

class LayoutExtents implements RecordExtents {
  constructor(private readonly layout: LogLayout) {}

  get count(): number {
    return this.layout.positions.length;
  }

  positionAt(index: number): number {
    return this.layout.positions[index]!;
  }

  lengthAt(index: number): number {
    return this.layout.lengths[index]!;
  }

  lowerBound(position: number): number {
    return lowerBoundOf(this.layout.positions, this.layout.positions.length, position);
  }
}

/** Reads a laid-out log from its first record at or after a position, in checked runs. */
export interface LogScanner {
  scanForward(from: number, chunkSize: number): Iterable<RecordRun>;
  close(): void;
}

/** Opens the layout's segments for reading only: no lock taken, nothing written, no index built. */
export function openLogScanner(layout: LogLayout): LogScanner {
  const segments = new Segments(layout.directory, layout.segmentSize);
  try {
    layout.segmentSizes.forEach((size, segment) => {
      segments.adopt(segment, size, 'r');
    });
  } catch (error) {
    segments.closeAll();
    throw error;
  }
  const extents = new LayoutExtents(layout);
  const reader = new RecordReader(segments, extents);
  return {
    scanForward: (from, chunkSize) => reader.runs(extents.lowerBound(from), extents.count, chunkSize),
    close: () => segments.closeAll(),
  };
}
