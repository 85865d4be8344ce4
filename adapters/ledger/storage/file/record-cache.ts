/**
 * A small cache of decoded records by position: the ledger core rereads the newest record of a
 * stream on most appends (tombstone and metadata checks), so recently written and read records are
 * kept. Bounded by bytes and by count, evicting the oldest entries first.
 */
import type { LogRecord } from '../storage.ts';

const entryOverhead = 200;

export class RecordCache {
  private readonly entries = new Map<number, LogRecord>();
  private bytes = 0;

  constructor(
    private readonly maxBytes = 16 * 1024 * 1024,
    private readonly maxEntries = 20_000,
  ) {}

  get(position: number): LogRecord | undefined {
    return this.entries.get(position);
  }

  add(record: LogRecord): void {
    if (this.entries.has(record.position)) return;
    const size = sizeOf(record);
    if (size > this.maxBytes / 4) return;
    this.entries.set(record.position, record);
    this.bytes += size;
    while (this.bytes > this.maxBytes || this.entries.size > this.maxEntries) {
      const oldest = this.entries.values().next().value as LogRecord;
      this.entries.delete(oldest.position);
      this.bytes -= sizeOf(oldest);
    }
  }
}

function sizeOf(record: LogRecord): number {
  return entryOverhead + record.data.length + record.metadata.length + 2 * record.streamId.length;
}
