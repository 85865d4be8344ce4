import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { connectEventStore } from '../../../adapters/eventstore/esdb-event-store.ts';
import type { EventStore } from '../../../adapters/eventstore/event-store.ts';
import { decodeRecorded } from '../../../adapters/eventstore/read-domain-event.ts';
import { drvHashPart } from '../../../domain/shared/streams.ts';
import { branchDiffQueries } from '../../../projections/branch-diff/index.ts';
import { type BuildsState, builds } from '../../../projections/builds/index.ts';
import { type EvaluationsState, evaluations } from '../../../projections/evaluations/index.ts';
import { type JobsetsState, jobsets } from '../../../projections/jobsets/index.ts';
import { createProjectionRunner, type RuntimeLogger } from '../../../projections/runtime/runner.ts';
import { createMemorySnapshotStore } from '../../../projections/runtime/snapshot-store.ts';
import { startTestLedger, type TestLedger } from '../../helpers/ledger.ts';
import { withTimeout } from '../../helpers/uvu.ts';
import { drv, FarmHistory, job, toAppends } from '../fixtures/farm-history.ts';

interface Context {
  ledger: TestLedger;
  store: EventStore;
}

const skipped: object[] = [];
const logger: RuntimeLogger = {
  info: () => undefined,
  warn: (object) => skipped.push(object),
  error: (object) => skipped.push(object),
};

const test = suite<Context>('read models over a real ledger');
test.before(async (context) => {
  context.ledger = await startTestLedger({ memory: true });
  context.store = await connectEventStore(context.ledger.ledger.url);
});
test.after(async (context) => {
  await context.store.close();
  await context.ledger.stop();
});

test(
  'a history appended through the port is read back, decoded and queried live',
  withTimeout(15_000, async ({ store }) => {
    const farm = new FarmHistory();
    farm.registerSpec('guix');
    const master = farm.evaluate('guix', [job('hello'), job('gcc')]);
    farm.scheduleBuilds(master);
    farm.build(drv('hello-1.0'));
    farm.build(drv('gcc-1.0'), 'failed');
    let position = -1;
    for (const { streamId, event } of toAppends(farm.events)) {
      position = (await store.append(streamId, [event], 'any')).position;
    }
    const runner = createProjectionRunner({
      source: store,
      projections: [jobsets.projection, evaluations.projection, builds.projection],
      decode: decodeRecorded,
      snapshots: createMemorySnapshotStore(),
      logger,
    });
    await runner.start();
    await runner.waitFor(position);

    const hello = builds.queries.getBuild(runner.state<BuildsState>('builds'), 1)!;
    assert.is(hello.drvPath, drv('hello-1.0'));
    assert.is(builds.queries.toHydraJson(hello).buildstatus, 0);
    assert.is(
      evaluations.queries.getEvaluation(runner.state<EvaluationsState>('evaluations'), master)?.counts.failed,
      1,
    );
    assert.equal(
      jobsets.queries.jobWeather(runner.state<JobsetsState>('jobsets'), 'guix')?.map((w) => w.weather),
      ['new-failure', 'new-success'],
    );

    // Live: a fix on a new evaluation arrives while the runner follows.
    const next = farm.events.length;
    const fixed = farm.evaluate('guix', [job('hello'), job('gcc', { version: '2' })]);
    farm.scheduleBuilds(fixed);
    farm.build(drv('gcc-2'));
    for (const { streamId, event } of toAppends(farm.events.slice(next))) {
      position = (await store.append(streamId, [event], 'any')).position;
    }
    await runner.waitFor(position);
    const diff = branchDiffQueries.diffEvaluations(
      runner.state<EvaluationsState>('evaluations'),
      master,
      fixed,
    );
    assert.ok(diff.ok);
    if (diff.ok)
      assert.equal(
        diff.diff.jobs['newly-succeeding'].map((e) => e.job),
        ['gcc.x86_64-linux'],
      );
    assert.is(
      jobsets.queries.getSpec(runner.state<JobsetsState>('jobsets'), 'guix')?.latestEvaluation?.counts
        .succeeded,
      2,
    );
    assert.equal(skipped, [], 'every event was read by the domain');
    await runner.stop();
  }),
);

test(
  'a BuildFailed of schema 1 read back from the ledger is upcast into the reason it implies',
  withTimeout(15_000, async ({ store }) => {
    skipped.length = 0;
    const farm = new FarmHistory();
    farm.registerSpec('old');
    farm.scheduleBuilds(farm.evaluate('old', [job('crash'), job('stuck')]));
    farm.build(drv('crash-1.0'), 'failed');
    farm.build(drv('stuck-1.0'), 'failed');
    // As the first schema wrote them: an exit code or a signal, else only a message.
    const asWrittenInSchema1: Record<
      string,
      { exitCode: number | null; signal: string | null; message: string }
    > = {
      [drv('crash-1.0')]: { exitCode: null, signal: 'SIGSEGV', message: 'builder killed by SIGSEGV' },
      [drv('stuck-1.0')]: { exitCode: null, signal: null, message: 'worker lost during the build' },
    };
    let position = -1;
    for (const { streamId, event } of toAppends(farm.events)) {
      const data = event.data as { drvPath: string; attemptId?: string };
      const old = event.type === 'BuildFailed' ? asWrittenInSchema1[data.drvPath] : undefined;
      const appended = old
        ? {
            type: 'BuildFailed',
            data: { drvPath: data.drvPath, attemptId: data.attemptId, ...old },
            metadata: { ...event.metadata, schemaVersion: 1 },
          }
        : event;
      position = (await store.append(streamId, [appended], 'any')).position;
    }
    const runner = createProjectionRunner({
      source: store,
      projections: [builds.projection],
      decode: decodeRecorded,
      snapshots: createMemorySnapshotStore(),
      logger,
    });
    await runner.start();
    await runner.waitFor(position);
    const state = runner.state<BuildsState>('builds');
    const crash = builds.queries.getBuild(state, drvHashPart(drv('crash-1.0'))!)!;
    const stuck = builds.queries.getBuild(state, drvHashPart(drv('stuck-1.0'))!)!;
    assert.equal([crash.status, crash.failure], ['failed', { kind: 'signal', signal: 'SIGSEGV' }]);
    assert.equal([stuck.status, stuck.failure], ['failed', { kind: 'worker-lost' }]);
    assert.is(stuck.failureMessage, 'worker lost during the build');
    assert.equal(skipped, [], 'the old events were read, not skipped');
    await runner.stop();
  }),
);

test.run();
