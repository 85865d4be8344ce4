/**
 * A small cache of decoded records by position: the ledger core rereads the newest record of a
 * stream on most appends (tombstone and metadata checks), so recently written and read records are
 * kept. Bounded by bytes and by count, evicting the oldest entries first. The eviction order is a
 * ring of positions rather than the Map's own order: taking the first key of a Map that has seen
 * many deletions walks over their holes, which made eviction quadratic.
 */
import type { LogRecord } from '../storage.ts';

const entryOverhead = 200;

export class RecordCache {
  private readonly entries = new Map<number, LogRecord>();
  private readonly order: Float64Array;
  private oldest = 0;
  private bytes = 0;

  constructor(
    private readonly maxBytes = 16 * 1024 * 1024,
    private readonly maxEntries = 20_000,
  ) {
    this.order = new Float64Array(maxEntries);
  }

  get(position: number): LogRecord | undefined {
    return this.entries.get(position);
  }

  add(record: LogRecord): void {
    if (this.entries.has(record.position)) return;
    const size = sizeOf(record);
    if (size > this.maxBytes / 4) return;
    while (
      this.entries.size > 0 &&
      (this.bytes + size > this.maxBytes || this.entries.size >= this.maxEntries)
    ) {
      this.evictOldest();
    }
    this.order[(this.oldest + this.entries.size) % this.maxEntries] = record.position;
    this.entries.set(record.position, record);
    this.bytes += size;
  }

  private evictOldest(): void {
    const position = this.order[this.oldest]!;
    this.oldest = (this.oldest + 1) % this.maxEntries;
    const record = this.entries.get(position)!;
    this.entries.delete(position);
    this.bytes -= sizeOf(record);
  }
}

function sizeOf(record: LogRecord): number {
  return entryOverhead + record.data.length + record.metadata.length + 2 * record.streamId.length;
}
