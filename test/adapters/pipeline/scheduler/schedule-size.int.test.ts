/**
 * Scheduling on a real ledger when thousands of jobs want one derivation (aliases of a package): every
 * job is recorded as a wanter, in appends that each stay under the store's 1 MiB. And when one
 * derivation has more inputs than one event can list: it is recorded without them and failed, saying
 * why, so that what depends on it fails with it rather than waiting for ever.
 */
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  wanterRuns,
  wantersPerAppendBytes,
} from '../../../../adapters/pipeline/scheduler/schedule-evaluation.ts';
import type { Wanter } from '../../../../domain/build/build.ts';
import { tempDir, withTimeout } from '../../../helpers/uvu.ts';
import { shDrv } from '../../builders/derivations.ts';
import { specNamed, startPipelineFixture } from '../pipeline-fixture.ts';

const test = suite('scheduling many wanters of one derivation');

test('cuts wanters into runs within the byte budget, keeping their order', () => {
  const wanters: Wanter[] = Array.from({ length: 50 }, (_, i) => ({
    spec: 's',
    evaluation: 'e',
    job: `j${i}`,
  }));
  const runs = wanterRuns(wanters, 200);
  assert.ok(runs.length > 1);
  assert.equal(runs.flat(), wanters);
  for (const run of runs) assert.ok(Buffer.byteLength(JSON.stringify(run)) <= 200 + run.length);
  assert.equal(wanterRuns([], 200), [[]], 'no wanters: one empty run (a dependency nobody named)');
});

test(
  'records every one of 3,000 jobs wanting one derivation, in appends under 1 MiB',
  withTimeout(60_000, async () => {
    const dir = await tempDir('tally-schedule-size-');
    const farm = await startPipelineFixture();
    try {
      await farm.registerSpec(specNamed('aliases'));
      const made = shDrv(join(dir.path, 'store'), { name: 'shared', script: 'echo > $out' });
      const jobs = Array.from({ length: 3000 }, (_, i) => ({
        name: `alias-${String(i).padStart(4, '0')}-${'x'.repeat(300)}`,
        system: 'x86_64-linux',
        drvPath: made.drvPath,
        outputs: { out: made.out },
      }));
      await farm.completeEvaluation('aliases', 'aliases-1', jobs);
      await farm.coordinator.idle();
      const events = await farm.buildEvents(made.drvPath);
      assert.equal(
        [...new Set(events.map((event) => event.type))],
        ['BuildQueued', 'BuildWanted'],
        'queued with the first run, the rest recorded as wanters',
      );
      const wanted = events.flatMap((event) => (event.data as { wantedBy: Wanter[] }).wantedBy);
      assert.is(new Set(wanted.map((wanter) => wanter.job)).size, 3000);
      for (const event of events)
        assert.ok(
          Buffer.byteLength(JSON.stringify(event.data)) < wantersPerAppendBytes + 64 * 1024,
          `${event.type} of ${Buffer.byteLength(JSON.stringify(event.data))} bytes`,
        );
    } finally {
      await farm.stop();
      await dir.cleanup();
    }
  }),
);

test(
  'records a derivation whose inputs exceed one event without them, failed, and fails its dependents',
  withTimeout(90_000, async () => {
    const dir = await tempDir('tally-schedule-size-');
    const farm = await startPipelineFixture();
    try {
      await farm.registerSpec(specNamed('aggregates'));
      const store = join(dir.path, 'store');
      // About 270 bytes of JSON a path: 4,200 of them list more than the store's 1 MiB an append.
      const inputs = Array.from({ length: 4200 }, (_, i) =>
        shDrv(store, { name: `input-${i}-${'y'.repeat(180)}`, script: 'echo > $out' }),
      );
      const aggregate = shDrv(store, { name: 'aggregate', script: 'echo > $out', inputs });
      const dependent = shDrv(store, { name: 'dependent', script: 'echo > $out', inputs: [aggregate] });
      const job = (name: string, made: typeof aggregate) => ({
        name,
        system: 'x86_64-linux',
        drvPath: made.drvPath,
        outputs: { out: made.out },
      });
      await farm.completeEvaluation('aggregates', 'aggregates-1', [
        job('aggregate', aggregate),
        job('dependent', dependent),
      ]);
      await farm.coordinator.idle();
      const events = await farm.buildEvents(aggregate.drvPath);
      assert.equal(
        events.map((event) => event.type),
        ['BuildQueued', 'BuildFailed'],
      );
      assert.equal((events[0]!.data as { dependencies: string[] }).dependencies, []);
      const { reason } = events[1]!.data as { reason: { kind: string; detail: string } };
      assert.is(reason.kind, 'infrastructure');
      assert.match(reason.detail, /its 4200 input derivations are too many to record/);
      await farm.until(
        () => farm.build(dependent.drvPath)?.status === 'failed',
        'the dependent failed with the aggregate',
      );
      assert.ok(farm.build(inputs[0]!.drvPath), 'the inputs themselves are recorded');
    } finally {
      await farm.stop();
      await dir.cleanup();
    }
  }),
);

test.run();
