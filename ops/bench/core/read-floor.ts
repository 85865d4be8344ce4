/**
 * The floor under any replay of the farm: every event read from the ledger's files and its content
 * (data and metadata) parsed from JSON, in one thread, and nothing else — no decoding into domain
 * events, no projection. A replay does all of this and then folds, so whatever rate this reaches on
 * the machine bounds what a replay that parses each event once per thread can reach.
 */
import { openDirectLedgerReader } from '../../../adapters/ledger/direct-reader.ts';

export interface ReadFloor {
  readonly events: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
}

/** Reads `ledgerDirectory` (no server may hold it) from the first event to the last. */
export async function measureReadFloor(ledgerDirectory: string): Promise<ReadFloor> {
  const reader = await openDirectLedgerReader({ directory: ledgerDirectory });
  try {
    // Timed from the first event: opening the files (and laying out the log) is not reading.
    const started = performance.now();
    let events = 0;
    let malformed = 0;
    for await (const event of reader.readAll()) {
      // The stored event parses its data and metadata together on first access to either.
      if (event.malformed) malformed += 1;
      events += 1;
    }
    const seconds = (performance.now() - started) / 1000;
    if (malformed > 0) throw new Error(`${malformed} events of the farm are not JSON: load the farm again`);
    return { events, seconds, eventsPerSecond: events / seconds };
  } finally {
    await reader.close();
  }
}
