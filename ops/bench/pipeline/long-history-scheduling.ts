/**
 * Row "an evaluation of 1,000 derivations, each wanted by 300 evaluations before": from scheduling
 * it to every new wanter recorded, on the embedded ledger in its own thread as `tally serve` runs it.
 * A farm evaluating a package set many times a day records each unchanged derivation's new wanters
 * every time, so its builds' streams grow with the farm's age. The scheduler appends them having read
 * only each stream's last event; the same-run baseline schedules another such evaluation deciding each build
 * on its history (as it still does for a retried scheduling or a cancelled build), which reads every
 * stream whole.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { appendDecided } from '../../../adapters/eventstore/command-handler.ts';
import type { EventStore } from '../../../adapters/eventstore/event-store.ts';
import { scheduleEvaluation } from '../../../adapters/pipeline/scheduler/schedule-evaluation.ts';
import type { BuildEvent } from '../../../domain/build/index.ts';
import { chunkJobs } from '../../../domain/evaluation/chunk-jobs.ts';
import type { Job } from '../../../domain/evaluation/job.ts';
import type { TallyEvent } from '../../../domain/events.ts';
import { streams } from '../../../domain/shared/streams.ts';
import type { BenchContext } from '../harness/types.ts';
import { benchSpec, benchSystem, writeJob, writtenDerivations } from './bench-jobs.ts';
import { startBenchLedger } from './bench-ledger.ts';
import type { PipelineRow } from './row.ts';

const derivations = Number(process.env.TALLY_BENCH_HISTORY_DERIVATIONS ?? 1_000);
const earlier = Number(process.env.TALLY_BENCH_HISTORY_EVALUATIONS ?? 300);
const at = '2026-12-07T12:00:00Z';
const spec = benchSpec('stable');

/** Appends `decided` to `stream` as recorded by the scheduler (`id` names the cause). */
function append(events: EventStore, stream: string, decided: readonly TallyEvent[], id: string) {
  const context = { cause: { kind: 'command', id }, actor: 'scheduler', at, scope: stream } as const;
  return appendDecided(events, stream, decided, context, 'any');
}

/** Derivations without inputs, written to `storeDir`. */
async function writeDerivations(storeDir: string): Promise<Job[]> {
  await mkdir(storeDir, { recursive: true });
  const written = writtenDerivations(storeDir);
  const jobs: Job[] = [];
  for (let i = 0; i < derivations; i++) jobs.push(await writeJob(written, `stable-${i}`));
  return jobs;
}

/** Each build queued by one evaluation and wanted by `earlier` more, as years of evaluations leave it. */
async function recordHistories(events: EventStore, jobs: readonly Job[]): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < jobs.length) {
        const { name: job, drvPath } = jobs[next++]!;
        const wanter = (k: number) => [{ spec: spec.name, evaluation: `stable-old-${k}`, job }];
        const history: BuildEvent[] = [
          {
            type: 'BuildQueued',
            data: { drvPath, system: benchSystem, wantedBy: wanter(0), priority: 0, dependencies: [] },
          },
        ];
        for (let k = 1; k <= earlier; k++)
          history.push({ type: 'BuildWanted', data: { drvPath, wantedBy: wanter(k), priority: 0 } });
        await append(events, streams.build(drvPath), history, `history-${drvPath}`);
      }
    }),
  );
}

/** Records an evaluation's jobs (all scheduling reads of it). */
async function recordEvaluation(events: EventStore, evaluationId: string, jobs: readonly Job[]) {
  const chunks = chunkJobs(evaluationId, jobs).map(
    (data) => ({ type: 'EvaluationJobsAdded', data }) as const,
  );
  await append(events, streams.evaluation(evaluationId), chunks, `jobs-${evaluationId}`);
}

/** Schedules `evaluationId`, every build known; `decided` decides each on its history. */
async function schedule(events: EventStore, evaluationId: string, decided: boolean): Promise<number> {
  const started = performance.now();
  const result = await scheduleEvaluation(
    {
      events,
      substitutes: { find: async () => undefined, inStore: async () => true },
      known: () => true,
      cancelled: () => false,
      // Queued, never built: no outputs to have been collected.
      produced: () => false,
      // Decided on its history is how a scheduling retried after a failure goes, and how every one
      // went before.
      firstScheduling: !decided,
    },
    evaluationId,
    spec,
    { kind: 'command', id: `schedule-${evaluationId}` },
  );
  if (result.derivations !== derivations) throw new Error(`${result.derivations} derivations scheduled`);
  return performance.now() - started;
}

const name = `an evaluation of ${derivations.toLocaleString('en-US')} derivations, each wanted by ${earlier} evaluations before: scheduled`;

export const longHistoryScheduling: PipelineRow = {
  name,
  async run(bench: BenchContext) {
    const dir = await bench.tempDir('tally-bench-history-');
    const { events } = await startBenchLedger(bench, dir);
    bench.progress(
      `writing ${derivations} derivations and ${(derivations * (earlier + 1)).toLocaleString('en-US')} build events…`,
    );
    const jobs = await writeDerivations(join(dir, 'nix', 'store'));
    await recordHistories(events, jobs);
    for (const id of ['stable-new-a', 'stable-new-b']) await recordEvaluation(events, id, jobs);

    const baseline = await bench.baseline(
      'decided on each history',
      async () => ({ value: await schedule(events, 'stable-new-a', true), unit: 'ms' }),
      'scheduling an evaluation with every build read and decided on',
    );
    await bench.measure(
      { name, target: { comparison: 'at-most', value: 5_000, unit: 'ms' }, baselines: [baseline] },
      async () => {
        const ms = await schedule(events, 'stable-new-b', false);
        const wanted = await countWanted(events, jobs[0]!.drvPath);
        if (wanted !== earlier + 2)
          throw new Error(`the first build has ${wanted} BuildWanted, not ${earlier + 2}`);
        return {
          figure: { value: ms, unit: 'ms' },
          note: `${derivations} new wanters recorded, ${(derivations * (earlier + 1)).toLocaleString('en-US')} build events before`,
        };
      },
    );
  },
};

async function countWanted(events: EventStore, drvPath: string): Promise<number> {
  let wanted = 0;
  for await (const recorded of events.readStream(streams.build(drvPath)))
    if (recorded.type === 'BuildWanted') wanted++;
  return wanted;
}
