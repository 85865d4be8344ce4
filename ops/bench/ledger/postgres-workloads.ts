/**
 * The ledger workloads expressed as SQL, for the PostgreSQL baseline: the same callers, batch sizes
 * and page sizes (from `workloads.ts`), the same ~200-byte JSON payloads (from `events.ts`), one
 * commit per append call as the ledger acknowledges each append durably.
 */
import type pg from 'pg';
import type { PostgresCluster } from '../baselines/postgres/cluster.ts';
import { type LoadResult, runClosedLoop } from '../harness/load.ts';
import { buildStream, evalStream, jobEvent } from './events.ts';
import { batchAppends, fullRead, singleAppends } from './workloads.ts';

export async function createEventsTable(client: pg.Client): Promise<void> {
  await client.query(`CREATE TABLE events (
    position bigserial PRIMARY KEY,
    stream text NOT NULL,
    revision bigint NOT NULL,
    type text NOT NULL,
    data jsonb NOT NULL,
    UNIQUE (stream, revision))`);
}

/** Workload 1: 64 connections, each committing one-row INSERTs to its own stream. */
export async function insertSingleRows(cluster: PostgresCluster): Promise<LoadResult> {
  return withClients(cluster, singleAppends.callers, (clients) => {
    const revisions = clients.map(() => 0);
    return runClosedLoop({
      ...singleAppends,
      call: async (caller) => {
        const revision = revisions[caller]!++;
        const event = jobEvent(caller, revision);
        await clients[caller]!.query({
          name: 'insert-one',
          text: 'INSERT INTO events (stream, revision, type, data) VALUES ($1, $2, $3, $4)',
          values: [buildStream(caller), revision, event.type, JSON.stringify(event.data)],
        });
        return 1;
      },
    });
  });
}

/** Workload 2: a few connections, each committing 100-row multi-row INSERTs, one new stream per call. */
export async function insertRowBatches(cluster: PostgresCluster): Promise<LoadResult> {
  const size = batchAppends.eventsPerCall;
  const tuples = Array.from(
    { length: size },
    (_, row) => `($${4 * row + 1}, $${4 * row + 2}, $${4 * row + 3}, $${4 * row + 4})`,
  );
  const text = `INSERT INTO events (stream, revision, type, data) VALUES ${tuples.join(', ')}`;
  let nextStream = 0;
  return withClients(cluster, batchAppends.callers, (clients) =>
    runClosedLoop({
      ...batchAppends,
      call: async (caller) => {
        const evaluation = nextStream++;
        const values = Array.from({ length: size }, (_, revision) => {
          const event = jobEvent(evaluation, revision);
          return [evalStream(evaluation), revision, event.type, JSON.stringify(event.data)];
        }).flat();
        await clients[caller]!.query({ name: 'insert-batch', text, values });
        return size;
      },
    }),
  );
}

/**
 * Tops the table up to `total` rows in one server-side statement (fast, and not what is measured),
 * then vacuums so the read sees a settled table rather than setting hint bits as it goes.
 */
export async function loadRows(client: pg.Client, total: number): Promise<void> {
  const { rows } = await client.query<{ count: string }>('SELECT count(*) FROM events');
  const missing = total - Number(rows[0]?.count ?? 0);
  const sample = jobEvent(0, 0).data;
  await client.query(
    `INSERT INTO events (stream, revision, type, data)
     SELECT 'eval-load-' || (n / 500), n % 500, 'JobDiscovered',
            jsonb_build_object('evaluation', n / 500, 'job', $2::text, 'drvPath', '/nix/store/' || md5(n::text) || '-hello.drv',
                               'system', $3::text, 'outputs', '["out","dev"]'::jsonb, 'priority', 100, 'attempt', 1)
     FROM generate_series(1, $1::int) AS n`,
    [Math.max(0, missing), sample.job, sample.system],
  );
  await client.query('VACUUM ANALYZE events');
}

/** Workload 3: the whole table in position order, page by page (keyset pagination), within the time limit. */
export async function selectAllPages(client: pg.Client): Promise<{ rows: number; seconds: number }> {
  const started = performance.now();
  let after = 0;
  let rows = 0;
  while (performance.now() - started < fullRead.timeLimitMs) {
    const page = await client.query<{ position: string }>({
      name: 'select-page',
      text: 'SELECT position, stream, revision, type, data FROM events WHERE position > $1 ORDER BY position LIMIT $2',
      values: [after, fullRead.pageSize],
    });
    rows += page.rows.length;
    const last = page.rows.at(-1);
    if (!last || page.rows.length < fullRead.pageSize) break;
    after = Number(last.position);
  }
  return { rows, seconds: (performance.now() - started) / 1000 };
}

async function withClients<T>(
  cluster: PostgresCluster,
  count: number,
  body: (clients: pg.Client[]) => Promise<T>,
): Promise<T> {
  const clients = await Promise.all(Array.from({ length: count }, () => cluster.connect()));
  try {
    return await body(clients);
  } finally {
    await Promise.all(clients.map((client) => client.end()));
  }
}
