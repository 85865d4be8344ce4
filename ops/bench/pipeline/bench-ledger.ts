/**
 * The embedded ledger for a pipeline row: in its own thread, as `tally serve` runs it, on `directory`,
 * with a client connected; both closed at the end of the run.
 */
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { connectEventStore } from '../../../adapters/eventstore/esdb-event-store.ts';
import type { EventStore } from '../../../adapters/eventstore/event-store.ts';
import { startLedgerThread } from '../../../adapters/ledger/index.ts';
import type { BenchContext } from '../harness/types.ts';

export async function startBenchLedger(
  bench: BenchContext,
  directory: string,
): Promise<{ readonly events: EventStore; readonly logger: Logger }> {
  const logger = pino({ level: process.env.TALLY_BENCH_LOG ?? 'warn' }, pino.destination(2));
  const ledger = await startLedgerThread({
    directory: join(directory, 'ledger'),
    port: 0,
    logger,
    version: 'bench',
  });
  bench.defer(() => ledger.close());
  const events = await connectEventStore(ledger.url);
  bench.defer(() => events.close());
  return { events, logger };
}
