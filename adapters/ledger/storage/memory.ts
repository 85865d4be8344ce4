/**
 * The `--memory` storage: the same contract as the file backend, nothing on disk. Positions are
 * assigned like the file log's (growing by each record's size) so that clients see realistic values.
 */
import { type LedgerStorage, LedgerStorageError, type LogRecord, type NewRecord } from './storage.ts';

const recordOverhead = 64;

export function createMemoryStorage(): LedgerStorage {
  const records: LogRecord[] = [];
  const positions: number[] = [];
  const streams = new Map<string, number[]>();
  let head = 0;
  let bytes = 0;
  let closed = false;

  /** Index of the first record whose position is >= `position`. */
  function lowerBound(position: number): number {
    let low = 0;
    let high = positions.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (positions[middle]! < position) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  return {
    async write(batch: readonly NewRecord[]): Promise<readonly LogRecord[]> {
      if (closed) throw new LedgerStorageError('TALLY_LEDGER_CLOSED', 'the ledger storage is closed');
      const written = batch.map((record) => {
        const size = recordOverhead + record.data.length + record.metadata.length + record.streamId.length;
        const stored: LogRecord = { ...record, position: head };
        head += size;
        bytes += size;
        return stored;
      });
      for (const record of written) {
        records.push(record);
        positions.push(record.position);
        const stream = streams.get(record.streamId);
        if (stream) stream.push(record.position);
        else streams.set(record.streamId, [record.position]);
      }
      return written;
    },
    streamPositions: (streamId) => streams.get(streamId),
    readAt(position) {
      const index = lowerBound(position);
      const record = records[index];
      if (!record || record.position !== position) throw new Error(`no record at position ${position}`);
      return record;
    },
    readForward(from, maxCount) {
      const start = lowerBound(from);
      return records.slice(start, start + maxCount);
    },
    readBackward(before, maxCount) {
      const end = lowerBound(before);
      return records.slice(Math.max(0, end - maxCount), end).reverse();
    },
    headPosition: () => head,
    streamIds: () => streams.keys(),
    stats: () => ({ events: records.length, streams: streams.size, bytes }),
    async close() {
      closed = true;
    },
  };
}
