/**
 * The core suite: a synthetic farm history in the embedded ledger (loaded with batched appends through
 * the real client), then `tally replay` run as a command (the ledger stopped, so it reads the files
 * directly; it saves the snapshots) beside the same command through the gRPC client and beside reading
 * and parsing the files with no projection (the floor under any replay's rate), restart from
 * those snapshots until the API answers, and read-route latency at a fixed rate (issued open-loop,
 * autocannon's rate mode beside it) next to a trivial Fastify route in the same app.
 * `TALLY_BENCH_CORE_SCALE` (default 1) scales the farm: 1 ≈ 200 specs × 100 evaluations.
 * `TALLY_BENCH_CORE_DIR=DIR` keeps the loaded farm in DIR for the next run (see `farmDirectory`).
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { connectEventStore } from '../../../adapters/eventstore/esdb-event-store.ts';
import type { EventStore } from '../../../adapters/eventstore/event-store.ts';
import { startLedger, startLedgerThread } from '../../../adapters/ledger/index.ts';
import type { Baseline, BenchContext, BenchSuite } from '../harness/types.ts';
import { measureLiveFeed } from './live-feed-latency.ts';
import { loadFarm } from './load-farm.ts';
import { measureReadFloor } from './read-floor.ts';
import { type ReplayCommandResult, runReplayCommand } from './replay-command.ts';
import { measureRestart } from './restart.ts';
import { describeBursts, describeServerSide, routeLatency } from './route-latency.ts';

const quiet = pino({ level: 'silent' });
const ms = (value: number) => `${value.toFixed(2)} ms`;
const scale = Number(process.env.TALLY_BENCH_CORE_SCALE ?? '1');
/**
 * `TALLY_BENCH_CORE_RECORDING=reused` records the farm's wants of ended builds as the scheduler does
 * now (`EvaluationBuildsReused`); by default, one `BuildWanted` each, as earlier farms hold them.
 */
const recording = process.env.TALLY_BENCH_CORE_RECORDING === 'reused' ? 'reused' : 'wanted';
/**
 * `TALLY_BENCH_CORE_ROWS=replay,restart,latency` (any of them; default all) runs only those rows; the
 * farm is loaded, and its snapshots written, whatever is chosen. `load` alone only loads the farm (with
 * `TALLY_BENCH_CORE_DIR`, to keep it for later runs).
 */
const wantedRows = process.env.TALLY_BENCH_CORE_ROWS?.split(',').filter(Boolean);
const rowsWanted = (rows: 'replay' | 'restart' | 'latency') => !wantedRows || wantedRows.includes(rows);
const onlyLoading = wantedRows?.length === 1 && wantedRows[0] === 'load';
/**
 * How long the restarted runner may take to catch up past its snapshots. They are at the head, so it is
 * quick; the bound is for snapshots that could not be used, when it folds the whole farm through the
 * client (at scale 1, 1,760,007 events, 14 minutes here).
 */
const catchUpMs = 3_600_000;

export const coreSuite: BenchSuite = {
  description: 'replay of every projection, restart from snapshots, read-route latency over a synthetic farm',
  async run(bench) {
    const { dir, lastEvaluation } = await farmDirectory(bench);
    const ledgerDir = join(dir, 'ledger');
    if (onlyLoading) return;
    // `tally replay` itself, while no server holds the directory: it reads the ledger's files directly,
    // and the snapshots it saves are the ones the restart loads, whatever rows were chosen.
    bench.progress('running tally replay on the ledger files');
    const replayed = await runReplayCommand(['--data', dir]).catch((error: unknown) => error as Error);
    if (replayed instanceof Error && !rowsWanted('replay')) throw replayed;
    // Reading and parsing alone, while the files are still free: the floor under the replay's rate.
    const floor = rowsWanted('replay')
      ? await bench.baseline(
          'read and parse only, one thread',
          async () => ({ value: (await measureReadFloor(ledgerDir)).eventsPerSecond, unit: 'events/s' }),
          "reading every event's JSON from the ledger's files, with no projection",
        )
      : undefined;

    // As `tally serve` runs it: in a thread of its own, so that the API's heap holds the API alone.
    const ledger = await startLedgerThread({ directory: ledgerDir, port: 0 });
    bench.defer(() => ledger.close());
    const store = await connectEventStore(ledger.url);
    bench.defer(() => store.close());
    if (rowsWanted('replay')) {
      // The same command through the gRPC client, in its own process as well.
      const throughClient = await bench.baseline(
        'replay through the gRPC client',
        async () => {
          const result = await runReplayCommand(['--eventstore', ledger.url, '--no-save', '--data', dir]);
          return { value: result.eventsPerSecond, unit: 'events/s' };
        },
        'tally replay --eventstore (the ledger serving the same files)',
      );
      await recordReplay(bench, replayed, [throughClient, ...(floor ? [floor] : [])]);
    }

    const snapshotDir = join(dir, 'projections');
    const restart = await measureRestart(bench, store, snapshotDir, dir);
    if (!restart || !rowsWanted('latency')) return;
    const { url, runner: restarted } = restart;
    // The latency rows measure reads, not a runner still folding the events after its snapshots.
    await restarted.waitFor((await restarted.lag()).headPosition, catchUpMs);
    // The builds list last: 50 whole builds a request can take more than this machine's share of a
    // core at 1,000 requests/s, and the backlog it leaves would land in the rows measured after it.
    const routes = [
      ['GET /api/builds/:id p99 @1000/s paced', '/api/builds/1000'],
      ['GET evaluation jobs page p99 @1000/s paced', `/api/evaluations/${lastEvaluation}/jobs?limit=100`],
      ['GET /api/queue p99 @1000/s paced', '/api/queue'],
    ] as const;
    for (const [name, path] of routes) await measureRoute(bench, url, name, path);
    await measureFeedLatency(bench, url, store);
    await measureRoute(bench, url, 'GET /api/builds list p99 @1000/s paced', '/api/builds?limit=50');
  },
};

/** One read route's row: the route at 1,000 requests/s beside the trivial route measured just before. */
async function measureRoute(bench: BenchContext, url: string, name: string, path: string) {
  // The trivial route just before each row: both meet the same neighbours and the same collector
  // (after a restart, the collection of what loading the snapshots left lands in the first rows).
  const trivial = await routeLatency(url, '/bench/trivial');
  const baselines = [
    { kind: 'measured', label: 'trivial route p99', figure: { value: trivial.p99, unit: 'ms' } },
  ] as const;
  await bench.measure(
    { name, target: { comparison: 'at-most', value: 5, unit: 'ms' }, baselines },
    async () => {
      const result = await routeLatency(url, path);
      return {
        figure: { value: result.p99, unit: 'ms' },
        note:
          `paced: p50 ${ms(result.p50)}, max ${ms(result.max)}, issued late p99 ${ms(result.latenessP99)}, ${describeServerSide(result)}; ` +
          `autocannon rate mode: ${describeBursts(result)} ` +
          `(trivial route paced: p50 ${ms(trivial.p50)}, max ${ms(trivial.max)}, ${describeServerSide(trivial)}; ` +
          `autocannon rate mode: ${describeBursts(trivial)})`,
        details: { route: result, trivial },
      };
    },
  );
}

/** What a loaded farm directory holds, kept beside its ledger so that a kept directory can be reused. */
interface LoadedFarm {
  readonly scale: number;
  /** Absent in markers written before farms could be recorded either way: `wanted`. */
  readonly recording?: 'wanted' | 'reused';
  readonly events: number;
  readonly lastEvaluation: string;
}

/**
 * The farm's directory with its ledger loaded. `TALLY_BENCH_CORE_DIR=DIR` keeps it in DIR and, on the
 * next run at the same scale, uses it as it is: loading the full farm takes 10 minutes or more. The
 * run then writes the directory's snapshots again, and the load row is not measured.
 */
async function farmDirectory(bench: BenchContext): Promise<{ dir: string } & LoadedFarm> {
  const kept = process.env.TALLY_BENCH_CORE_DIR;
  const dir = kept ?? (await bench.tempDir('core'));
  const markerPath = join(dir, 'farm.json');
  if (kept) {
    const marker = await readFile(markerPath, 'utf8').then(
      (text) => JSON.parse(text) as LoadedFarm,
      () => undefined,
    );
    if (marker?.scale === scale && (marker.recording ?? 'wanted') === recording) {
      bench.progress(`using the farm already loaded in ${dir} (${marker.events} events)`);
      return { dir, ...marker };
    }
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
  }
  const loading = await startLedger({ directory: join(dir, 'ledger'), port: 0, logger: quiet });
  const loader = await connectEventStore(loading.url);
  bench.progress(`generating and appending the synthetic farm (scale ${scale})`);
  const loadStarted = performance.now();
  let loaded: Awaited<ReturnType<typeof loadFarm>>;
  try {
    loaded = await loadFarm(loader, scale, (message) => bench.progress(message), recording);
  } finally {
    await loader.close();
    await loading.close();
  }
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  await bench.measure({ name: `load ${loaded.events} events (batched appends)` }, async () => ({
    figure: { value: loaded.events / loadSeconds, unit: 'events/s' },
    note: `${loadSeconds.toFixed(1)} s`,
  }));
  const farm: LoadedFarm = { scale, recording, ...loaded };
  if (kept) await writeFile(markerPath, JSON.stringify(farm));
  return { dir, ...farm };
}

/** The target for replaying every projection. */
const replayTarget = 200_000;

/** The replay rows: `tally replay`'s rate beside the client's, and the command's peak memory. */
async function recordReplay(
  bench: BenchContext,
  replayed: ReplayCommandResult | Error,
  baselines: readonly Baseline[],
) {
  const result = async () => {
    if (replayed instanceof Error) throw replayed;
    return replayed;
  };
  await bench.measure(
    {
      name: 'tally replay of all projections (ledger files read directly)',
      target: { comparison: 'at-least', value: replayTarget, unit: 'events/s' },
      baselines,
    },
    async () => {
      const { events, projections, replaySeconds, wallSeconds, skipped, eventsPerSecond, cpuSeconds } =
        await result();
      // The work per event beside what the target allows on this machine's cores, each fully used.
      const cpuPerEvent = (cpuSeconds * 1e6) / events;
      const cores = availableParallelism();
      const allowed = (cores * 1e6) / replayTarget;
      return {
        figure: { value: eventsPerSecond, unit: 'events/s' },
        note:
          `${events} events (${skipped} skipped), ${projections} projections, ${replaySeconds} s as printed, ${wallSeconds.toFixed(1)} s from spawn to exit; ` +
          `CPU ${cpuSeconds.toFixed(1)} s in all threads (start-up and hashing included) = ${cpuPerEvent.toFixed(1)} µs per event, ` +
          `where ${replayTarget.toLocaleString('en')} events/s on ${cores} cores allows ${allowed.toFixed(1)} µs`,
      };
    },
  );
  await bench.measure(
    { name: 'tally replay peak RSS', target: { comparison: 'at-most', value: 1024, unit: 'MiB' } },
    async () => ({ figure: { value: (await result()).peakRssBytes / 2 ** 20, unit: 'MiB' } }),
  );
}

/** The live-feed row: append → SSE client, beside append → the client's own subscription. */
async function measureFeedLatency(bench: BenchContext, url: string, store: EventStore) {
  const events = 1000;
  let measured: Awaited<ReturnType<typeof measureLiveFeed>> | undefined;
  const direct = await bench.baseline(
    'append → direct subscription p99',
    async () => {
      measured = await measureLiveFeed(url, store, events);
      return { value: measured.subscription.p99, unit: 'ms' };
    },
    `appending ${events} events (after 100 unrecorded), read through /api/events and through a subscription`,
  );
  await bench.measure(
    {
      name: 'appended event → SSE client p99',
      target: { comparison: 'at-most', value: 50, unit: 'ms' },
      baselines: [direct],
    },
    async () => {
      if (!measured) throw new Error('the live-feed measurement did not run');
      const { feed, subscription } = measured;
      return {
        figure: { value: feed.p99, unit: 'ms' },
        note: `${events} events; SSE p50 ${feed.p50.toFixed(1)} ms, max ${feed.max.toFixed(1)} ms; subscription p50 ${subscription.p50.toFixed(1)} ms, max ${subscription.max.toFixed(1)} ms`,
      };
    },
  );
}
