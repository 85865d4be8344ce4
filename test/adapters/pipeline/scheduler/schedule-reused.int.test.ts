/**
 * Scheduling an evaluation that wants builds which have ended, on a real ledger with the real
 * coordinator: their wanters are recorded on the evaluation's stream (`EvaluationBuildsReused`), not
 * as a `BuildWanted` on each build's stream; a build still queued gets its `BuildWanted` as before;
 * the read models count the reused wanters as a build's own; and a retried scheduling records no job
 * twice, on either stream.
 */
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { scheduleEvaluation } from '../../../../adapters/pipeline/scheduler/schedule-evaluation.ts';
import type { Job } from '../../../../domain/evaluation/job.ts';
import { streams } from '../../../../domain/shared/streams.ts';
import { type BuildsState, buildsQueries } from '../../../../projections/builds/index.ts';
import { getIn, hasIn } from '../../../../projections/shared/persistent-map.ts';
import { collect, tempDir, withTimeout } from '../../../helpers/uvu.ts';
import { shDrv } from '../../builders/derivations.ts';
import { specNamed, startPipelineFixture } from '../pipeline-fixture.ts';

const test = suite('scheduling builds that have ended');

test(
  "records ended builds' wanters on the evaluation's stream, once, and the read models count them",
  withTimeout(30_000, async () => {
    const dir = await tempDir('tally-schedule-reused-');
    const store = join(dir.path, 'store');
    const done = shDrv(store, { name: 'done', script: 'echo > $out' });
    const waiting = shDrv(store, { name: 'waiting', script: 'echo > $out' });
    const output = {
      name: 'out',
      path: done.out,
      narHash: `sha256:${'0'.repeat(52)}`,
      narSize: 8,
      references: [],
    };
    const farm = await startPipelineFixture({
      // `done` is in a cache at its first scheduling: it ends substituted; `waiting` stays queued.
      substitutes: {
        find: async (drvPath) =>
          drvPath === done.drvPath ? { from: 'local', outputs: [output] } : undefined,
        inStore: async () => true,
      },
    });
    try {
      const spec = specNamed('reuse');
      await farm.registerSpec(spec);
      const job = (name: string, made: typeof done): Job => ({
        name,
        system: 'x86_64-linux',
        drvPath: made.drvPath,
        outputs: { out: made.out },
      });
      await farm.completeEvaluation('reuse', 'reuse-1', [job('done', done), job('waiting', waiting)]);
      // Both of its builds' events folded: the evaluation leaves the pending ones at its last wanter.
      await farm.until(
        (state) =>
          state.evaluations['reuse-1'] === undefined &&
          getIn(state.builds, done.drvPath)?.status === 'substituted',
        'the first evaluation scheduled',
      );
      assert.is(farm.build(waiting.drvPath)?.status, 'queued');

      const second = [job('done', done), job('done-again', done), job('waiting', waiting)];
      await farm.completeEvaluation('reuse', 'reuse-2', second);
      await farm.until(
        (state) => state.evaluations['reuse-2'] === undefined,
        'the second evaluation scheduled',
      );

      const evaluation = await collect(farm.events.readStream(streams.evaluation('reuse-2')));
      const reused = evaluation.filter((event) => event.type === 'EvaluationBuildsReused');
      assert.equal(
        reused.map((event) => event.data),
        [
          {
            evaluationId: 'reuse-2',
            chunk: 0,
            spec: 'reuse',
            priority: spec.priority,
            builds: [{ drvPath: done.drvPath, jobs: ['done', 'done-again'] }],
          },
        ],
      );
      const typesOf = async (drvPath: string) => (await farm.buildEvents(drvPath)).map((event) => event.type);
      assert.equal(
        await typesOf(done.drvPath),
        ['BuildQueued', 'BuildSubstituted'],
        'nothing on the ended build',
      );
      assert.equal(
        await typesOf(waiting.drvPath),
        ['BuildQueued', 'BuildWanted'],
        'the queued one is wanted',
      );

      const builds = farm.projections.state<BuildsState>('builds');
      const doc = buildsQueries.getBuild(builds, storeHash(done.drvPath));
      // A job keeps its latest evaluation.
      assert.equal(doc?.wantedBy.map((wanter) => `${wanter.evaluation}/${wanter.job}`).sort(), [
        'reuse-2/done',
        'reuse-2/done-again',
      ]);
      assert.is(doc?.wantedCount, 3);
      assert.equal(
        buildsQueries.searchBuilds(builds, { job: 'done-again' }).builds.map((each) => each.drvPath),
        [done.drvPath],
      );

      // Tried again (as after a crash): neither stream gains a job it already holds.
      const context = {
        events: farm.events,
        substitutes: { find: async () => undefined, inStore: async () => true },
        known: (drvPath: string) => hasIn(farm.state().builds, drvPath),
        cancelled: () => false,
        produced: () => false,
        ended: (drvPath: string) => getIn(farm.state().builds, drvPath)?.status === 'substituted',
        firstScheduling: false,
      };
      await scheduleEvaluation(context, 'reuse-2', spec, { kind: 'command', id: 'retried' });
      assert.is(
        (await collect(farm.events.readStream(streams.evaluation('reuse-2')))).length,
        evaluation.length,
      );
      assert.equal(await typesOf(done.drvPath), ['BuildQueued', 'BuildSubstituted']);
      assert.equal(await typesOf(waiting.drvPath), ['BuildQueued', 'BuildWanted']);
    } finally {
      await farm.stop();
      await dir.cleanup();
    }
  }),
);

/** The hash part of a store path, as the builds read model keys builds. */
function storeHash(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1).split('-')[0]!;
}

test.run();
