/**
 * The core suite: a synthetic farm history in the embedded ledger (loaded with batched appends through
 * the real client), then replay of every projection, restart from snapshots until the API answers, and
 * read-route latency at a fixed rate beside a trivial Fastify route in the same app.
 * `TALLY_BENCH_CORE_SCALE` (default 1) scales the farm: 1 ≈ 200 specs × 100 evaluations.
 */
import { join } from 'node:path';
import pino from 'pino';
import { connectEventStore } from '../../../adapters/eventstore/esdb-event-store.ts';
import type { EventStore, NewEvent } from '../../../adapters/eventstore/event-store.ts';
import { decodeRecorded } from '../../../adapters/eventstore/read-domain-event.ts';
import { startLedger } from '../../../adapters/ledger/index.ts';
import { createFileSnapshotStore } from '../../../adapters/projection-snapshots/file-snapshot-store.ts';
import { buildApp } from '../../../api/app.ts';
import { allProjections } from '../../../projections/catalogue.ts';
import { replayProjections } from '../../../projections/runtime/replay.ts';
import { createProjectionRunner, type ProjectionRunner } from '../../../projections/runtime/runner.ts';
import type { BenchContext, BenchSuite } from '../harness/types.ts';
import { measureLiveFeed } from './live-feed-latency.ts';
import { routeLatency } from './route-latency.ts';
import { syntheticFarm } from './synthetic-farm.ts';

const quiet = pino({ level: 'silent' });
const scale = Number(process.env.TALLY_BENCH_CORE_SCALE ?? '1');

/** Appends the farm's events in batches of consecutive events of one stream, several streams at once. */
async function loadFarm(
  bench: BenchContext,
  store: EventStore,
): Promise<{ events: number; lastEvaluation: string }> {
  let pending: { stream: string; events: NewEvent[] } | undefined;
  let inflight: Promise<unknown>[] = [];
  let events = 0;
  let lastEvaluation = '';
  const flush = async () => {
    if (pending) inflight.push(store.append(pending.stream, pending.events, 'any'));
    pending = undefined;
    if (inflight.length >= 64) {
      await Promise.all(inflight);
      inflight = [];
    }
  };
  const queue: (() => Promise<void>)[] = [];
  syntheticFarm({
    specs: Math.max(2, Math.round(200 * scale)),
    evaluationsPerSpec: 100,
    jobsPerEvaluation: 60,
    churn: 0.3,
    seed: 7,
    sink: (projected) => {
      if (projected.event.type === 'EvaluationCompleted') lastEvaluation = projected.event.data.evaluationId;
      queue.push(async () => {
        if (pending && pending.stream !== projected.streamId) await flush();
        pending ??= { stream: projected.streamId, events: [] };
        pending.events.push({
          type: projected.event.type,
          data: projected.event.data,
          metadata: { ...projected.metadata },
        });
        events += 1;
        if (events % 100_000 === 0) bench.progress(`appended ${events} events`);
      });
    },
  });
  for (const step of queue) await step();
  await flush();
  await Promise.all(inflight);
  return { events, lastEvaluation };
}

export const coreSuite: BenchSuite = {
  description: 'replay of every projection, restart from snapshots, read-route latency over a synthetic farm',
  async run(bench) {
    const dir = await bench.tempDir('core');
    const ledger = await startLedger({ directory: join(dir, 'ledger'), port: 0, logger: quiet });
    bench.defer(() => ledger.close());
    const store = await connectEventStore(ledger.url);
    bench.defer(() => store.close());
    bench.progress(`generating and appending the synthetic farm (scale ${scale})`);
    const loadStarted = performance.now();
    const { events, lastEvaluation } = await loadFarm(bench, store);
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    await bench.measure({ name: `load ${events} events (batched appends)` }, async () => ({
      figure: { value: events / loadSeconds, unit: 'events/s' },
      note: `${loadSeconds.toFixed(1)} s`,
    }));

    const rss = { value: 0 };
    await bench.measure(
      {
        name: 'replay of all projections',
        target: { comparison: 'at-least', value: 200_000, unit: 'events/s' },
      },
      async () => {
        const started = performance.now();
        const result = await replayProjections(store, allProjections, decodeRecorded);
        const seconds = (performance.now() - started) / 1000;
        rss.value = process.memoryUsage().rss;
        return {
          figure: { value: result.events / seconds, unit: 'events/s' },
          note: `${result.events} events, ${allProjections.length} projections, ${seconds.toFixed(1)} s`,
        };
      },
    );
    await bench.measure(
      { name: 'RSS after replay', target: { comparison: 'at-most', value: 1024, unit: 'MiB' } },
      async () => ({ figure: { value: rss.value / 2 ** 20, unit: 'MiB' } }),
    );

    const snapshotDir = join(dir, 'projections');
    const first = createProjectionRunner({
      source: store,
      projections: allProjections,
      decode: decodeRecorded,
      snapshots: createFileSnapshotStore(snapshotDir, quiet),
      logger: quiet,
    });
    await first.start();
    await first.waitFor((await first.lag()).headPosition, 600_000);
    await first.stop();

    let url = '';
    let restarted: ProjectionRunner | undefined;
    await bench.measure(
      {
        name: 'restart from snapshots until the API answers',
        target: { comparison: 'at-most', value: 2000, unit: 'ms' },
      },
      async () => {
        const started = performance.now();
        const runner = createProjectionRunner({
          source: store,
          projections: allProjections,
          decode: decodeRecorded,
          snapshots: createFileSnapshotStore(snapshotDir, quiet),
          logger: quiet,
        });
        await runner.start();
        bench.defer(() => runner.stop());
        restarted = runner;
        const app = await buildApp({
          eventStore: store,
          projections: runner,
          dataDir: dir,
          logger: quiet,
          processMetrics: false,
        });
        app.get('/bench/trivial', async () => ({ ok: true }));
        bench.defer(() => app.close());
        url = await app.listen({ host: '127.0.0.1', port: 0 });
        const response = await fetch(`${url}/api/queue`);
        if (!response.ok) throw new Error(`/api/queue answered ${response.status}`);
        return { figure: { value: performance.now() - started, unit: 'ms' } };
      },
    );
    if (!url || !restarted) return;
    // The latency rows measure reads, not a runner still folding the events after its snapshots.
    await restarted.waitFor((await restarted.lag()).headPosition, 600_000);
    const trivial = await routeLatency(url, '/bench/trivial');
    const baselines = [
      { kind: 'measured', label: 'trivial route p99', figure: { value: trivial.p99, unit: 'ms' } },
    ] as const;
    for (const [name, path] of [
      ['GET /api/builds/:id p99 @1000/s', '/api/builds/1000'],
      ['GET evaluation jobs page p99 @1000/s', `/api/evaluations/${lastEvaluation}/jobs?limit=100`],
      ['GET /api/queue p99 @1000/s', '/api/queue'],
    ] as const) {
      await bench.measure(
        { name, target: { comparison: 'at-most', value: 5, unit: 'ms' }, baselines },
        async () => {
          const result = await routeLatency(url, path);
          return {
            figure: { value: result.p99, unit: 'ms' },
            note: `p50 ${result.p50} ms, max ${result.max} ms (trivial route: p50 ${trivial.p50} ms, max ${trivial.max} ms)`,
          };
        },
      );
    }
    await measureFeedLatency(bench, url, store);
  },
};

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
    `appending ${events} events, read through /api/events and through a subscription`,
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
