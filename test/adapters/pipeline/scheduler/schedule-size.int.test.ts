/**
 * Scheduling on a real ledger when thousands of jobs want one derivation (aliases of a package): every
 * job is recorded as a wanter, in appends that each stay under the store's 1 MiB.
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

test.run();
