/**
 * The ledger suite: the embedded ledger in its own process, durable (a data dir on disk), driven
 * through the official `@eventstore/db-client` from this process, with the disk's fsync rate and
 * PostgreSQL doing the same workloads as baselines measured first in the same run.
 */
import { join } from 'node:path';
import type { EventStoreDBClient } from '@eventstore/db-client';
import { measureFsyncRate } from '../baselines/fsync.ts';
import { freePort } from '../harness/net.ts';
import type { BenchContext, BenchSuite } from '../harness/types.ts';
import type { AppendTally } from './appends.ts';
import { connect, disposeClient } from './client.ts';
import { measureAppends, measureLoad, measureReads, measureRestarts } from './phases.ts';
import { measurePostgresBaselines } from './postgres-baselines.ts';
import { type LedgerProcess, spawnLedger } from './server-process.ts';
import { restart } from './workloads.ts';

/** The ledger under test and the client driving it; both are replaced when the ledger restarts. */
export interface LedgerUnderTest {
  ledger: LedgerProcess;
  client: EventStoreDBClient;
  readonly start: () => Promise<LedgerProcess>;
  readonly tally: AppendTally;
}

export const ledgerSuite: BenchSuite = {
  description: 'the embedded ledger, durable, in its own process, through @eventstore/db-client',
  async run(bench) {
    const dir = await bench.tempDir('ledger');
    const fsync = await bench.baseline('fsync', async () => measureFsyncRate(dir));
    const postgres = await measurePostgresBaselines(bench);

    const subject = await startSubject(bench, dir);
    bench.progress(`ledger pid ${subject.ledger.pid} serving at ${subject.ledger.url}, data in ${dir}`);
    await measureAppends(bench, subject, { fsync, postgres });
    const loaded = await measureLoad(bench, subject);
    if (!loaded) return;
    await measureReads(bench, subject, postgres);
    await measureRestarts(bench, subject, postgres);
  },
};

async function startSubject(bench: BenchContext, dir: string): Promise<LedgerUnderTest> {
  const port = await freePort();
  const options = {
    dataDir: join(dir, 'data'),
    port,
    logPath: join(dir, 'ledger.log'),
    timeoutMs: restart.timeLimitMs,
  };
  const start = () => spawnLedger(options);
  const ledger = await start();
  const client = connect(ledger.url);
  const subject: LedgerUnderTest = { ledger, client, start, tally: { events: 0, nextEvaluation: 0 } };
  // Whatever ledger and client are current when the suite ends (or is interrupted) get stopped.
  bench.defer(async () => {
    if (subject.ledger.alive()) await subject.ledger.stop('SIGKILL');
  });
  bench.defer(async () => {
    await disposeClient(subject.client);
  });
  return subject;
}
