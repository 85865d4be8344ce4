/**
 * A Guix-size evaluation reaching the queue: 30,000 jobs whose derivations depend on each other,
 * recorded as a completed evaluation; the clock runs from the EvaluationCompleted append until the
 * pipeline state holds every derivation queued (the scheduler reads each `.drv`, asks the store for
 * substitutes, and appends one BuildQueued per derivation). The same-run baseline is the floor the
 * scheduler cannot beat: as many single-event appends to new streams through the same event store.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { handleCommand } from '../../../adapters/eventstore/command-handler.ts';
import type { EventStore } from '../../../adapters/eventstore/event-store.ts';
import { decodeRecorded } from '../../../adapters/eventstore/read-domain-event.ts';
import { createCoordinator } from '../../../adapters/pipeline/coordinator.ts';
import { createDispatcher } from '../../../adapters/pipeline/dispatcher/dispatcher.ts';
import { createSubstituteFinder } from '../../../adapters/pipeline/scheduler/substitutes.ts';
import { createFileSnapshotStore } from '../../../adapters/projection-snapshots/file-snapshot-store.ts';
import { openFileStore } from '../../../adapters/store/file-store.ts';
import type { Store } from '../../../adapters/store/store.ts';
import { chunkJobs } from '../../../domain/evaluation/chunk-jobs.ts';
import { evaluationDecider } from '../../../domain/evaluation/index.ts';
import type { Job } from '../../../domain/evaluation/job.ts';
import type { TallyEvent } from '../../../domain/events.ts';
import { streams } from '../../../domain/shared/streams.ts';
import { specificationDecider } from '../../../domain/specification/index.ts';
import { allProjections } from '../../../projections/catalogue.ts';
import type { PipelineState } from '../../../projections/pipeline/index.ts';
import { createProjectionRunner } from '../../../projections/runtime/runner.ts';
import type { WorkersState } from '../../../projections/workers/index.ts';
import type { BenchContext } from '../harness/types.ts';
import { benchSpec, type WrittenDerivations, writeJob, writtenDerivations } from './bench-jobs.ts';
import { startBenchLedger } from './bench-ledger.ts';
import type { PipelineRow } from './row.ts';

/** `TALLY_BENCH_EVALUATION_JOBS` scales it down for a quick look. */
const jobCount = Number(process.env.TALLY_BENCH_EVALUATION_JOBS ?? 30_000);

/** A seeded generator (mulberry32): the same graph every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 30,000 derivations, each after the first hundred depending on one to three earlier ones. */
export async function writeDerivations(
  storeDir: string,
  written: WrittenDerivations = writtenDerivations(storeDir),
): Promise<Job[]> {
  await mkdir(storeDir, { recursive: true });
  const next = random(30_000);
  const jobs: Job[] = [];
  for (let i = 0; i < jobCount; i++) {
    const inputs = new Map<string, readonly string[]>();
    if (i >= 100) {
      const count = 1 + Math.floor(next() * 3);
      for (let k = 0; k < count; k++) inputs.set(jobs[Math.floor(next() * i)]!.drvPath, ['out']);
    }
    jobs.push(await writeJob(written, `package-${i}`, inputs));
  }
  return jobs;
}

/**
 * Records evaluation `evaluationId` of `jobs` up to its last chunk (the specification `guix` is
 * registered with the first one); resolves with the step that completes it.
 */
export async function recordEvaluation(
  events: EventStore,
  jobs: readonly Job[],
  evaluationId = 'guix-bench',
): Promise<() => Promise<void>> {
  const context = {
    cause: { kind: 'command', id: 'bench' } as const,
    actor: 'system' as const,
    at: new Date().toISOString(),
  };
  const spec = benchSpec('guix');
  const registered = await handleCommand(
    events,
    specificationDecider,
    streams.spec('guix'),
    { type: 'RegisterSpecification', spec, ...context },
    context,
  ).catch((error: unknown) => error);
  if (registered instanceof Error && (registered as { code?: string }).code !== 'TALLY_SPEC_ALREADY_EXISTS')
    throw registered;
  const stream = streams.evaluation(evaluationId);
  const checkout = {
    channel: 'main',
    url: '/nowhere',
    branch: 'main',
    commit: 'a'.repeat(40),
    commitTime: context.at,
  };
  const common = { evaluationId, ...context };
  await handleCommand(
    events,
    evaluationDecider,
    stream,
    {
      ...common,
      type: 'RequestEvaluation',
      spec: 'guix',
      trigger: { kind: 'manual' },
      checkouts: [checkout],
    },
    context,
  );
  await handleCommand(
    events,
    evaluationDecider,
    stream,
    { ...common, type: 'StartEvaluation', evaluator: spec.evaluator },
    context,
  );
  for (const chunk of chunkJobs(evaluationId, jobs)) {
    await handleCommand(
      events,
      evaluationDecider,
      stream,
      { ...common, type: 'AddEvaluationJobs', chunk: chunk.chunk, jobs: chunk.jobs },
      context,
    );
  }
  return async () => {
    await handleCommand(
      events,
      evaluationDecider,
      stream,
      { ...common, type: 'CompleteEvaluation', jobCount: jobs.length },
      context,
    );
  };
}

/** The baseline: single-event appends to new streams, 32 at a time, as the scheduler does. */
export async function appendFloor(events: EventStore, count: number, prefix = 'floor'): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < count) {
        const i = next++;
        await events.append(`${prefix}-${i}`, [{ type: 'FloorProbe', data: { i } }], 'no_stream');
      }
    }),
  );
  return performance.now() - started;
}

/**
 * The farm's scheduling over a ledger of its own in `dir`: the projections (snapshots in `dir`), the
 * dispatcher, and the coordinator that schedules each completed evaluation, with `store` for
 * substitutes. All are stopped when the row ends.
 */
export async function startScheduling(bench: BenchContext, dir: string, store: Store) {
  const { events, logger } = await startBenchLedger(bench, dir);
  const projections = createProjectionRunner<TallyEvent>({
    source: events,
    projections: allProjections,
    decode: decodeRecorded,
    snapshots: createFileSnapshotStore(join(dir, 'snapshots'), logger),
    logger,
  });
  await projections.start();
  bench.defer(() => projections.stop());
  const state = () => projections.state<PipelineState>('pipeline');
  const workers = () => projections.state<WorkersState>('workers');
  const dispatcher = createDispatcher({ events, state, workers, logger });
  const coordinator = createCoordinator({
    events,
    projections,
    evaluations: { enqueue: () => undefined, cancel: () => undefined },
    dispatcher,
    substitutes: createSubstituteFinder({ store }),
    logger,
  });
  await coordinator.start();
  bench.defer(() => coordinator.stop());
  return { events, state, coordinator };
}

export const evaluationQueued: PipelineRow = {
  name: `evaluation of ${jobCount.toLocaleString('en')} jobs: completed to every build queued`,
  async run(bench: BenchContext) {
    const dir = await bench.tempDir('tally-bench-evaluation-');
    const storeDir = join(dir, 'nix', 'store');
    bench.progress('writing 30,000 derivations…');
    const jobs = await writeDerivations(storeDir);
    const store = await openFileStore({ storeDir, stateDir: join(dir, 'state') });
    const { events, state, coordinator } = await startScheduling(bench, dir, store);
    bench.progress('recording the evaluation’s jobs…');
    const complete = await recordEvaluation(events, jobs);
    const floor = await bench.baseline(
      `${jobCount.toLocaleString('en')} single-event appends to new streams, 32 at a time`,
      async () => ({ value: Math.round(await appendFloor(events, jobCount)), unit: 'ms' }),
      'measuring the append floor',
    );
    await bench.measure(
      {
        name: `evaluation of ${jobCount.toLocaleString('en')} jobs: completed to every build queued`,
        target: { comparison: 'at-most', value: 5000, unit: 'ms' },
        baselines: [floor],
      },
      async () => {
        const started = performance.now();
        await complete();
        const deadline = started + 120_000;
        while (state().builds.size < jobCount) {
          if (performance.now() > deadline)
            throw new Error(`only ${state().builds.size} of ${jobCount} builds queued after 120 s`);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        const elapsed = performance.now() - started;
        await coordinator.idle();
        return {
          figure: { value: Math.round(elapsed), unit: 'ms' },
          note: `${state().builds.size} builds in the pipeline state; ${Math.round(jobCount / (elapsed / 1000))} builds/s`,
        };
      },
    );
  },
};
