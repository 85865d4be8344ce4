/**
 * The restart rows: a new runner over the snapshots `tally replay` saved, and the API started beside it
 * as `tally serve` does (the API listens while the snapshots load; a read waits for its own projection).
 * One row until `/api/queue` answers, one until every projection is loaded and following, with the
 * times a read of the largest read model (`/api/builds/:id`) and `/healthz` took to answer.
 */
import pino from 'pino';
import type { EventStore } from '../../../adapters/eventstore/event-store.ts';
import { decodeRecorded } from '../../../adapters/eventstore/read-domain-event.ts';
import { createFileSnapshotStore } from '../../../adapters/projection-snapshots/file-snapshot-store.ts';
import { buildApp } from '../../../api/app.ts';
import { allProjections } from '../../../projections/catalogue.ts';
import { createProjectionRunner, type ProjectionRunner } from '../../../projections/runtime/runner.ts';
import type { BenchContext } from '../harness/types.ts';

const quiet = pino({ level: 'silent' });

export interface RestartedServer {
  readonly url: string;
  readonly runner: ProjectionRunner;
}

async function answer(url: string, since: number): Promise<string> {
  const response = await fetch(url);
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return `${(performance.now() - since).toFixed(0)} ms`;
}

export async function measureRestart(
  bench: BenchContext,
  store: EventStore,
  snapshotDir: string,
  dataDir: string,
): Promise<RestartedServer | undefined> {
  let served: RestartedServer | undefined;
  let starting: Promise<void> | undefined;
  let started = 0;
  const others: Promise<string>[] = [];
  await bench.measure(
    {
      name: 'restart from snapshots until the API answers',
      target: { comparison: 'at-most', value: 2000, unit: 'ms' },
    },
    async () => {
      started = performance.now();
      const runner = createProjectionRunner({
        source: store,
        projections: allProjections,
        decode: decodeRecorded,
        snapshots: createFileSnapshotStore(snapshotDir, quiet),
        logger: quiet,
      });
      bench.defer(() => runner.stop());
      starting = runner.start();
      const app = await buildApp({
        eventStore: store,
        projections: runner,
        dataDir,
        logger: quiet,
        processMetrics: false,
      });
      app.get('/bench/trivial', async () => ({ ok: true }));
      bench.defer(() => app.close());
      const url = await app.listen({ host: '127.0.0.1', port: 0 });
      const listening = performance.now() - started;
      others.push(answer(`${url}/healthz`, started), answer(`${url}/api/builds/1000`, started));
      await answer(`${url}/api/queue`, started);
      served = { url, runner };
      return {
        figure: { value: performance.now() - started, unit: 'ms' },
        note: `GET /api/queue; listening after ${listening.toFixed(0)} ms`,
      };
    },
  );
  await bench.measure(
    { name: 'restart from snapshots until every projection is loaded and following' },
    async () => {
      if (!starting) throw new Error('the restart did not run');
      await starting;
      const loaded = performance.now() - started;
      const [health, builds] = await Promise.all(others);
      return {
        figure: { value: loaded, unit: 'ms' },
        note: `/healthz answered after ${health}, /api/builds/1000 after ${builds}; RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`,
      };
    },
  );
  return served;
}
