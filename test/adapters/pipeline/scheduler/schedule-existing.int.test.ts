/**
 * Scheduling an evaluation whose derivations already have builds, on a real ledger: at the evaluation's
 * first scheduling its jobs are recorded as wanters having read only each build's last event, not its
 * stream (which grows with every evaluation); once however often it is retried; and a cancelled build,
 * even one the read model has not yet seen cancelled and whose cancelled attempt's log came after the
 * cancel, is decided on its history.
 */
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { EventStore } from '../../../../adapters/eventstore/event-store.ts';
import {
  type ScheduleContext,
  scheduleEvaluation,
} from '../../../../adapters/pipeline/scheduler/schedule-evaluation.ts';
import { streams } from '../../../../domain/shared/streams.ts';
import { getIn, hasIn } from '../../../../projections/shared/persistent-map.ts';
import { countingStreamReads } from '../../../helpers/counting-store.ts';
import { tempDir, withTimeout } from '../../../helpers/uvu.ts';
import { shDrv } from '../../builders/derivations.ts';
import { type PipelineFixture, specNamed, startPipelineFixture } from '../pipeline-fixture.ts';

/** What the coordinator gives the scheduler; `firstScheduling` as it finds it for a pending evaluation. */
function contextOf(
  farm: PipelineFixture,
  events: EventStore,
  firstScheduling: boolean,
  cancelled = (drvPath: string) => getIn(farm.state().builds, drvPath)?.status === 'cancelled',
): ScheduleContext {
  return {
    events,
    substitutes: { find: async () => undefined, inStore: async () => true },
    known: (drvPath) => hasIn(farm.state().builds, drvPath),
    cancelled,
    produced: () => false,
    firstScheduling,
  };
}

const test = suite('scheduling derivations that already have builds');

test(
  "records the new wanters from the build's last event, once however often it is retried",
  withTimeout(30_000, async () => {
    const dir = await tempDir('tally-schedule-existing-');
    const farm = await startPipelineFixture();
    try {
      const spec = specNamed('existing');
      await farm.registerSpec(spec);
      const made = shDrv(join(dir.path, 'store'), { name: 'stable', script: 'echo > $out' });
      const job = {
        name: 'stable',
        system: 'x86_64-linux',
        drvPath: made.drvPath,
        outputs: { out: made.out },
      };
      await farm.completeEvaluation('existing', 'existing-1', [job]);
      await farm.until(() => farm.build(made.drvPath)?.status === 'queued', 'the first evaluation queued it');

      // Recorded but not scheduled by the coordinator (it failed): scheduled here, twice, as a retry would.
      await farm.failEvaluation('existing', 'existing-2', [job]);
      const stream = streams.build(made.drvPath);
      const { store, read } = countingStreamReads(farm.events, (streamId) => streamId === stream);
      const cause = { kind: 'command', id: 'test-schedule-existing-2' } as const;
      await scheduleEvaluation(contextOf(farm, store, true), 'existing-2', spec, cause);
      assert.is(read(), 1, "only the build's last event was read");
      // Retried (under another cause, as after a restart): decided on the history, which has the wanter.
      const retried = { kind: 'command', id: 'test-schedule-existing-2-resumed' } as const;
      await scheduleEvaluation(contextOf(farm, store, false), 'existing-2', spec, retried);
      assert.ok(read() > 0, 'a retried scheduling reads the build');
      const events = await farm.buildEvents(made.drvPath);
      assert.equal(
        events.map((event) => event.type),
        ['BuildQueued', 'BuildWanted'],
        'the retried scheduling was recognised',
      );
      assert.equal(events[1]!.data, {
        drvPath: made.drvPath,
        wantedBy: [{ spec: 'existing', evaluation: 'existing-2', job: 'stable' }],
        priority: spec.priority,
      });

      // Cancelled, it is decided on its history: a new evaluation brings it back.
      await farm.command(made.drvPath, {
        type: 'CancelBuild',
        drvPath: made.drvPath,
        actor: 'user:test',
        at: new Date().toISOString(),
      });
      await farm.failEvaluation('existing', 'existing-3', [job]);
      const before = read();
      await scheduleEvaluation(contextOf(farm, store, true), 'existing-3', spec, cause);
      assert.ok(read() > before, 'a cancelled build is read');
      assert.equal(
        (await farm.buildEvents(made.drvPath)).map((event) => event.type),
        ['BuildQueued', 'BuildWanted', 'BuildCancelled', 'BuildWanted', 'BuildRestarted'],
      );

      // Cancelled again, and scheduled before the read model has seen it: its last event tells.
      await farm.command(made.drvPath, {
        type: 'CancelBuild',
        drvPath: made.drvPath,
        actor: 'user:test',
        at: new Date().toISOString(),
      });
      await farm.failEvaluation('existing', 'existing-4', [job]);
      await scheduleEvaluation(
        contextOf(farm, store, true, () => false),
        'existing-4',
        spec,
        cause,
      );
      assert.equal(
        (await farm.buildEvents(made.drvPath)).slice(5).map((event) => event.type),
        ['BuildCancelled', 'BuildWanted', 'BuildRestarted'],
      );

      // Cancelled while building, and the cancelled attempt's log stored after: the log does not hide
      // the cancel from a scheduler that reads the build's end before the read model has seen it.
      const at = () => new Date().toISOString();
      const attemptId = 'attempt-cancelled-while-building';
      const worker = { name: 'w1', systems: ['x86_64-linux'] };
      const actor = 'user:test';
      await farm.command(made.drvPath, {
        type: 'DispatchBuild',
        drvPath: made.drvPath,
        worker,
        attemptId,
        actor,
        at: at(),
      });
      await farm.command(made.drvPath, { type: 'CancelBuild', drvPath: made.drvPath, actor, at: at() });
      await farm.command(made.drvPath, {
        type: 'RecordBuildLog',
        drvPath: made.drvPath,
        attemptId,
        logRef: 'late.log',
        bytes: 10,
        actor: 'worker:w1',
        at: at(),
      });
      await farm.failEvaluation('existing', 'existing-5', [job]);
      await scheduleEvaluation(
        contextOf(farm, store, true, () => false),
        'existing-5',
        spec,
        cause,
      );
      assert.equal(
        (await farm.buildEvents(made.drvPath)).slice(8).map((event) => event.type),
        ['BuildDispatched', 'BuildCancelled', 'BuildLogStored', 'BuildWanted', 'BuildRestarted'],
      );
    } finally {
      await farm.stop();
      await dir.cleanup();
    }
  }),
);

test.run();
