/**
 * PostgreSQL with synchronous commit, the store Cuirass uses, running the ledger's workloads in the
 * same run: the yardstick for "is the ledger fast for a durable store on this disk". Skipped, with
 * one clear line, when no PostgreSQL server binaries are installed.
 */
import { findPostgresBinaries } from '../baselines/postgres/binaries.ts';
import { type PostgresCluster, startPostgresCluster } from '../baselines/postgres/cluster.ts';
import type { Baseline, BenchContext } from '../harness/types.ts';
import {
  createEventsTable,
  insertRowBatches,
  insertSingleRows,
  loadRows,
  selectAllPages,
} from './postgres-workloads.ts';
import { storeLoad } from './workloads.ts';

const label = 'PostgreSQL';

/** One baseline per ledger workload it mirrors. */
export interface PostgresBaselines {
  readonly singleAppends: Baseline;
  readonly batchAppends: Baseline;
  readonly fullRead: Baseline;
  readonly cleanRestart: Baseline;
  readonly crashRestart: Baseline;
}

export async function measurePostgresBaselines(bench: BenchContext): Promise<PostgresBaselines> {
  const lookup = findPostgresBinaries();
  if (!lookup.found) {
    const reason = `${lookup.reason}; apt-get install postgresql to enable`;
    console.log(`PostgreSQL baseline skipped: ${reason}`);
    return everywhere({ kind: 'skipped', label, reason });
  }

  let cluster: PostgresCluster;
  try {
    bench.progress(`PostgreSQL ${lookup.binaries.major}: initdb and start (${lookup.binaries.binDir})`);
    cluster = await startPostgresCluster(lookup.binaries, bench);
    const admin = await cluster.connect();
    await createEventsTable(admin);
    await admin.end();
  } catch (error) {
    return everywhere(await bench.baseline(label, () => Promise.reject(error)));
  }

  const rate = (units: number, seconds: number) => ({ value: units / seconds, unit: 'rows/s' });
  const singleAppends = await bench.baseline(
    label,
    async () => {
      const result = await insertSingleRows(cluster);
      return rate(result.units, result.seconds);
    },
    'one-row commits from 64 connections',
  );
  const batchAppends = await bench.baseline(
    label,
    async () => {
      const result = await insertRowBatches(cluster);
      return rate(result.units, result.seconds);
    },
    '100-row commits',
  );
  const fullRead = await bench.baseline(
    label,
    async () => {
      const client = await cluster.connect();
      try {
        bench.progress(`PostgreSQL: loading ${storeLoad.events.toLocaleString('en-US')} rows for the read`);
        await loadRows(client, storeLoad.events);
        const result = await selectAllPages(client);
        return rate(result.rows, result.seconds);
      } finally {
        await client.end();
      }
    },
    'paged SELECT of the whole table',
  );
  const cleanRestart = await bench.baseline(
    label,
    () => timeRestart(cluster, 'fast'),
    'restart after a clean stop',
  );
  const crashRestart = await bench.baseline(
    label,
    () => timeRestart(cluster, 'immediate'),
    'restart after an immediate stop (crash recovery)',
  );
  // Stopped now rather than at the suite's end, so it does not compete with the ledger for CPU.
  await cluster.stop('fast');
  return { singleAppends, batchAppends, fullRead, cleanRestart, crashRestart };
}

/** Stops the cluster (`immediate` = without a checkpoint, as after a crash), then times start → first query. */
async function timeRestart(cluster: PostgresCluster, mode: 'fast' | 'immediate') {
  await cluster.stop(mode);
  const started = performance.now();
  await cluster.start();
  const client = await cluster.connect();
  await client.query('SELECT max(position) FROM events');
  await client.end();
  return { value: (performance.now() - started) / 1000, unit: 's' };
}

function everywhere(baseline: Baseline): PostgresBaselines {
  return {
    singleAppends: baseline,
    batchAppends: baseline,
    fullRead: baseline,
    cleanRestart: baseline,
    crashRestart: baseline,
  };
}
