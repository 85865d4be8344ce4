/**
 * The in-memory index of the durable log: every record's position and length in log order (typed
 * arrays, so `$all` reads binary-search them and 1,000,000 records cost 16 MB), the stream each
 * belongs to, and per stream the positions of its records indexed by revision.
 */

import { lowerBoundOf, sharedCopy } from './log-layout.ts';

const initialCapacity = 1024;

/** The index's content as plain arrays: what a snapshot stores. */
export interface IndexContent {
  readonly positions: Float64Array;
  readonly lengths: Uint32Array;
  /** For each record, its stream's number: an index into `streamIds`. */
  readonly streamNumbers: Uint32Array;
  readonly streamIds: readonly string[];
}

interface StreamEntry {
  readonly number: number;
  readonly positions: number[];
}

export class PositionIndex {
  private positions = new Float64Array(initialCapacity);
  private lengths = new Uint32Array(initialCapacity);
  private streamNumbers = new Uint32Array(initialCapacity);
  private readonly streamIds: string[] = [];
  private readonly streams = new Map<string, StreamEntry>();
  private size = 0;

  /** Rebuilds an index from a snapshot's content. */
  static from(content: IndexContent): PositionIndex {
    const index = new PositionIndex();
    const count = content.positions.length;
    index.grow(count);
    index.positions.set(content.positions);
    index.lengths.set(content.lengths);
    index.streamNumbers.set(content.streamNumbers);
    const entries = content.streamIds.map((streamId, number) => {
      const entry = { number, positions: [] as number[] };
      index.streamIds.push(streamId);
      index.streams.set(streamId, entry);
      return entry;
    });
    for (let i = 0; i < count; i++) {
      const entry = entries[content.streamNumbers[i]!];
      if (!entry)
        throw new RangeError(`record ${i} names stream ${content.streamNumbers[i]}, which is unknown`);
      entry.positions.push(content.positions[i]!);
    }
    index.size = count;
    return index;
  }

  get count(): number {
    return this.size;
  }

  get streamCount(): number {
    return this.streams.size;
  }

  /** Adds a durable record; positions must be added in increasing order. */
  add(position: number, length: number, streamId: string): void {
    if (this.size === this.positions.length) this.grow(this.size * 2);
    let entry = this.streams.get(streamId);
    if (!entry) {
      entry = { number: this.streamIds.length, positions: [] };
      this.streamIds.push(streamId);
      this.streams.set(streamId, entry);
    }
    this.positions[this.size] = position;
    this.lengths[this.size] = length;
    this.streamNumbers[this.size] = entry.number;
    this.size++;
    entry.positions.push(position);
  }

  positionAt(index: number): number {
    return this.positions[index]!;
  }

  lengthAt(index: number): number {
    return this.lengths[index]!;
  }

  /** The index of the first record whose position is >= `position` (`count` if none). */
  lowerBound(position: number): number {
    return lowerBoundOf(this.positions, this.size, position);
  }

  streamPositions(streamId: string): readonly number[] | undefined {
    return this.streams.get(streamId)?.positions;
  }

  streamIdList(): Iterable<string> {
    return this.streams.keys();
  }

  /** Every record's position and length in memory other threads can read (see log-layout.ts). */
  sharedExtents(): { positions: Float64Array; lengths: Uint32Array } {
    return {
      positions: sharedCopy(Float64Array, this.positions, this.size),
      lengths: sharedCopy(Uint32Array, this.lengths, this.size),
    };
  }

  /** A copy of the content as it is now, for a snapshot written while appends go on. */
  content(): IndexContent {
    return {
      positions: this.positions.slice(0, this.size),
      lengths: this.lengths.slice(0, this.size),
      streamNumbers: this.streamNumbers.slice(0, this.size),
      streamIds: this.streamIds.slice(),
    };
  }

  private grow(capacity: number): void {
    if (capacity <= this.positions.length) return;
    const positions = new Float64Array(capacity);
    positions.set(this.positions.subarray(0, this.size));
    const lengths = new Uint32Array(capacity);
    lengths.set(this.lengths.subarray(0, this.size));
    const streamNumbers = new Uint32Array(capacity);
    streamNumbers.set(this.streamNumbers.subarray(0, this.size));
    this.positions = positions;
    this.lengths = lengths;
    this.streamNumbers = streamNumbers;
  }
}
