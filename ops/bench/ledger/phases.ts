/**
 * The ledger suite's phases, each recording its rows: appends (workloads 1–2), the bulk load, reads
 * (workloads 3–4 and the memory ceiling), restarts (workload 5). Each row carries the baselines of
 * the same work and a note saying which side used the CPU.
 */
import { measureClientDecodeCeiling } from '../baselines/client-decode.ts';
import { formatNumber, formatSeconds } from '../harness/format.ts';
import { describeLatency, type LoadResult } from '../harness/load.ts';
import { mebibytes, resetPeakRss, sampleRss, startCpuMeter, statusBytes } from '../harness/proc.ts';
import type { Baseline, BenchContext, Measured } from '../harness/types.ts';
import { appendEventBatches, appendSingleEvents, loadStore } from './appends.ts';
import { connect, disposeClient } from './client.ts';
import type { PostgresBaselines } from './postgres-baselines.ts';
import { headPosition, type ReadResult, readAllInPages, subscribeToAllUntil } from './reads.ts';
import { restartLedger } from './restart.ts';
import type { LedgerUnderTest } from './suite.ts';
import { batchAppends, fullRead, singleAppends, storeLoad } from './workloads.ts';

const eventsPerSecond = (value: number) => ({ comparison: 'at-least', value, unit: 'events/s' }) as const;

/** Runs `body` while metering CPU, and appends "CPU: bench X %, ledger Y % of a core" to its note. */
async function withCpu(subject: LedgerUnderTest, body: () => Promise<Measured>): Promise<Measured> {
  const meter = startCpuMeter(subject.ledger.pid);
  const measured = await body();
  const cpu = meter.stop();
  const note = `CPU (% of one core): bench ${cpu.bench}, ledger ${cpu.server}, other processes ${cpu.others}`;
  return {
    ...measured,
    note: measured.note ? `${measured.note}; ${note}` : note,
    details: { ...measured.details, cpu },
  };
}

function throughput(result: LoadResult): Measured {
  return {
    figure: { value: result.unitsPerSecond, unit: 'events/s' },
    note: describeLatency(result.latencyMs),
    details: {
      events: result.units,
      calls: result.calls,
      seconds: result.seconds,
      latencyMs: result.latencyMs,
    },
  };
}

export async function measureAppends(
  bench: BenchContext,
  subject: LedgerUnderTest,
  baselines: { fsync: Baseline; postgres: PostgresBaselines },
): Promise<void> {
  await bench.measure(
    {
      name: `single-event appends, ${singleAppends.callers} callers`,
      target: eventsPerSecond(10_000),
      baselines: [baselines.postgres.singleAppends, baselines.fsync],
    },
    () => withCpu(subject, async () => throughput(await appendSingleEvents(subject.client, subject.tally))),
  );
  await bench.measure(
    {
      name: `${batchAppends.eventsPerCall}-event appends, ${batchAppends.callers} callers`,
      target: eventsPerSecond(100_000),
      baselines: [baselines.postgres.batchAppends],
    },
    () => withCpu(subject, async () => throughput(await appendEventBatches(subject.client, subject.tally))),
  );
}

/** Builds the store for the read and restart phases; false if the ledger could not take it at all. */
export async function measureLoad(bench: BenchContext, subject: LedgerUnderTest): Promise<boolean> {
  const before = subject.tally.events;
  const measured = await bench.measure({ name: `bulk load, ${storeLoad.eventsPerCall}-event appends` }, () =>
    withCpu(subject, async () => {
      const { seconds } = await loadStore(subject.client, subject.tally);
      const short = subject.tally.events < storeLoad.events ? ' (stopped at its time limit)' : '';
      return {
        figure: { value: (subject.tally.events - before) / seconds, unit: 'events/s' },
        note: `store holds ${formatNumber(subject.tally.events)} events${short}`,
        details: { storeEvents: subject.tally.events, seconds },
      };
    }),
  );
  return measured !== undefined;
}

function readRate(result: ReadResult): Measured {
  const cut = result.complete ? '' : ` (stopped at the ${fullRead.timeLimitMs / 1000} s limit)`;
  return {
    figure: { value: result.events / result.seconds, unit: 'events/s' },
    note: `${formatNumber(result.events)} events in ${result.seconds.toFixed(2)} s${cut}`,
    details: { ...result },
  };
}

export async function measureReads(
  bench: BenchContext,
  subject: LedgerUnderTest,
  postgres: PostgresBaselines,
): Promise<void> {
  const clientCeiling = measureClientDecodeCeiling();
  await bench.measure(
    {
      name: `read $all in pages of ${formatNumber(fullRead.pageSize)}`,
      target: eventsPerSecond(200_000),
      baselines: [postgres.fullRead, clientCeiling],
    },
    () => withCpu(subject, async () => readRate(await readAllInPages(subject.client))),
  );

  const pid = subject.ledger.pid;
  const lifetimePeak = statusBytes(pid, 'VmHWM') ?? 0;
  const peakReset = resetPeakRss(pid);
  const sampler = sampleRss(pid);
  // Its own client: a cancelled subscription can leave a client that never finishes disposing.
  const subscriber = connect(subject.ledger.url);
  const subscribed = await bench.measure(
    {
      name: 'catch-up subscription to $all',
      target: eventsPerSecond(150_000),
      baselines: [postgres.fullRead, clientCeiling],
    },
    () =>
      withCpu(subject, async () => {
        const measured = readRate(await subscribeToAllUntil(subscriber, await headPosition(subject.client)));
        if (await disposeClient(subscriber)) return measured;
        return { ...measured, note: `${measured.note}; client.dispose() hung after the subscription ended` };
      }),
  );
  const sampledPeak = sampler.stop();
  if (!subscribed) return;
  // VmHWM after the reset is exact; the 50 ms samples are the fallback where the reset is refused.
  const peak = peakReset ? Math.max(statusBytes(pid, 'VmHWM') ?? 0, sampledPeak) : sampledPeak;
  bench.record({
    name: 'ledger peak RSS during the subscription',
    outcome: mebibytes(peak) <= 512 ? 'PASS' : 'MISS',
    figure: { value: mebibytes(peak), unit: 'MiB' },
    target: { comparison: 'at-most', value: 512, unit: 'MiB' },
    baselines: [],
    note: `${peakReset ? 'VmHWM reset before the subscription' : 'sampled VmRSS every 50 ms'}; peak over the ledger's life so far ${formatNumber(mebibytes(lifetimePeak))} MiB`,
    details: { peakBytes: peak, sampledPeakBytes: sampledPeak, lifetimePeakBytes: lifetimePeak, peakReset },
  });
}

export async function measureRestarts(
  bench: BenchContext,
  subject: LedgerUnderTest,
  postgres: PostgresBaselines,
): Promise<void> {
  const held = formatNumber(subject.tally.events);
  const runs = [
    { signal: 'SIGTERM', name: `restart after SIGTERM, ${held} events`, baseline: postgres.cleanRestart },
    { signal: 'SIGKILL', name: `restart after SIGKILL, ${held} events`, baseline: postgres.crashRestart },
  ] as const;
  for (const run of runs) {
    await bench.measure(
      // Only the clean restart has a target; after SIGKILL the figure is context (recovery cost).
      {
        name: run.name,
        ...(run.signal === 'SIGTERM'
          ? { target: { comparison: 'at-most', value: 3, unit: 's' } as const }
          : {}),
        baselines: [run.baseline],
      },
      async () => {
        const head = await headPosition(subject.client);
        await disposeClient(subject.client);
        const result = await restartLedger(subject.ledger, run.signal, subject.start, head);
        subject.ledger = result.ledger;
        subject.client = connect(result.ledger.url);
        if (!result.sameHead)
          throw new Error(`the head of $all moved across the restart: acknowledged events lost`);
        return {
          figure: { value: result.servingMs / 1000, unit: 's' },
          note: `old process exited ${formatSeconds(result.stopMs)} after ${run.signal}; new one logged its URL at ${formatSeconds(result.announcedMs)}`,
          details: { ...result, ledger: undefined },
        };
      },
    );
  }
}
