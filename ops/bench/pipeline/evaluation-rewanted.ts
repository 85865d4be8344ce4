/**
 * A Guix-size evaluation whose every derivation the farm already has: 30,000 jobs evaluated a
 * second time, with unchanged derivations. Their builds ended with outputs (substituted from Tally's
 * store by the first evaluation), so scheduling the second one checks for each that its outputs are
 * still in the store (a `stat` and a record lookup, one after another, from the outputs the job
 * lists) and records its jobs as reusing the build, in a few `EvaluationBuildsReused` events of the
 * evaluation's stream. The clock runs from the second EvaluationCompleted append until the pipeline
 * has every job of it scheduled.
 *
 * Baselines in the same run: the 30,000 store checks alone (the share of the figure they are), and
 * 30,000 single-event appends through the same event store (what one event per build, as a
 * `BuildWanted` on each build's stream, would cost before anything else).
 */
import { join } from 'node:path';
import { createSubstituteFinder } from '../../../adapters/pipeline/scheduler/substitutes.ts';
import { openFileStore } from '../../../adapters/store/file-store.ts';
import type { Job } from '../../../domain/evaluation/job.ts';
import { valuesOf } from '../../../projections/shared/persistent-map.ts';
import type { BenchContext } from '../harness/types.ts';
import { writeSyntheticStore } from '../store/synthetic-store.ts';
import { writtenDerivations } from './bench-jobs.ts';
import { appendFloor, recordEvaluation, startScheduling, writeDerivations } from './evaluation-queued.ts';
import type { PipelineRow } from './row.ts';

const jobCount = Number(process.env.TALLY_BENCH_EVALUATION_JOBS ?? 30_000);
const name = `evaluation of ${jobCount.toLocaleString('en')} jobs already built: completed to every job scheduled`;

/** Polls `done` every 10 ms; throws with `what` after `ms`. */
async function waitFor(done: () => boolean, ms: number, what: () => string): Promise<void> {
  const deadline = performance.now() + ms;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(what());
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export const evaluationRewanted: PipelineRow = {
  name,
  async run(bench: BenchContext) {
    const dir = await bench.tempDir('tally-bench-rewanted-');
    const storeDir = join(dir, 'nix', 'store');
    const stateDir = join(dir, 'state');
    bench.progress(`writing ${jobCount.toLocaleString('en')} derivations and their outputs…`);
    const written = writtenDerivations(storeDir);
    const jobs: Job[] = await writeDerivations(storeDir, written);
    const registeredAt = Date.now();
    await writeSyntheticStore(
      storeDir,
      stateDir,
      jobs.map((job) => ({ path: job.outputs.out!, references: [], registeredAt })),
    );
    const store = await openFileStore({ storeDir, stateDir });
    const { events, state, coordinator } = await startScheduling(bench, dir, store);

    bench.progress('scheduling the first evaluation (every build substituted from the store)…');
    await (await recordEvaluation(events, jobs, 'guix-first'))();
    await waitFor(
      () => state().evaluations['guix-first'] === undefined && state().builds.size === jobCount,
      300_000,
      () => `the first evaluation was not scheduled after 300 s (${state().builds.size} builds)`,
    );
    await coordinator.idle();

    const finder = createSubstituteFinder({ store });
    const derivations = jobs.map((job) => written.derivations.get(job.drvPath)!);
    const checks = await bench.baseline(
      `${jobCount.toLocaleString('en')} checks that a build's outputs are in the store, one after another`,
      async () => {
        const started = performance.now();
        let present = 0;
        for (const drv of derivations) if (await finder.inStore(drv.outputs)) present += 1;
        if (present !== jobCount)
          throw new Error(`only ${present} of ${jobCount} outputs found in the store`);
        return { value: Math.round(performance.now() - started), unit: 'ms' };
      },
      'measuring the store checks alone',
    );
    const floor = await bench.baseline(
      `${jobCount.toLocaleString('en')} single-event appends to new streams, 32 at a time`,
      async () => ({ value: Math.round(await appendFloor(events, jobCount, 'rewanted-floor')), unit: 'ms' }),
      'measuring the append floor',
    );

    bench.progress('recording the second evaluation’s jobs…');
    const complete = await recordEvaluation(events, jobs, 'guix-again');
    await bench.measure(
      { name, target: { comparison: 'at-most', value: 5000, unit: 'ms' }, baselines: [checks, floor] },
      async () => {
        const started = performance.now();
        await complete();
        await waitFor(
          () => state().evaluations['guix-again'] === undefined,
          120_000,
          () =>
            `only ${state().evaluations['guix-again']?.scheduledJobs ?? 0} of ${jobCount} jobs scheduled after 120 s`,
        );
        const elapsed = performance.now() - started;
        await coordinator.idle();
        const restarted = [...valuesOf(state().builds)].filter((build) => build.status !== 'substituted');
        if (restarted.length > 0)
          throw new Error(`${restarted.length} builds were restarted, though their outputs are in the store`);
        return {
          figure: { value: Math.round(elapsed), unit: 'ms' },
          note: `every build's outputs found in the store, none restarted; ${Math.round(jobCount / (elapsed / 1000))} jobs/s`,
        };
      },
    );
  },
};
