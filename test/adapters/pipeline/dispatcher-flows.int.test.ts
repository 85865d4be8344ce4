/**
 * The dispatcher's flows on a real ledger, with the real projection runner and coordinator feeding it
 * and a scripted worker reporting what each test says: transient failures retried with backoff under
 * new attempt ids until the specification's retries run out, build failures never retried, late
 * results fenced by their attempt id, fair shares between specifications, cancels, and workers an
 * operator drained, and could not remove while connected.
 */

import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { handleCommand } from '../../../adapters/eventstore/command-handler.ts';
import type { RecordedEvent } from '../../../adapters/eventstore/event-store.ts';
import type { Assignment } from '../../../adapters/workers/worker-link.ts';
import { isDomainError } from '../../../domain/shared/errors.ts';
import { streams } from '../../../domain/shared/streams.ts';
import type { WorkerCommand } from '../../../domain/worker/commands.ts';
import { workerDecider } from '../../../domain/worker/index.ts';
import { tempDir, withTimeout } from '../../helpers/uvu.ts';
import { drv } from '../../projections/fixtures/farm-history.ts';
import { shDrv } from '../builders/derivations.ts';
import { type PipelineFixture, specNamed, startPipelineFixture } from './pipeline-fixture.ts';
import { ScriptedWorker } from './scripted-worker.ts';

interface Context {
  farm: PipelineFixture;
}

const test = suite<Context>('the dispatcher with a scripted worker');

test.before.each(async (context) => {
  context.farm = await startPipelineFixture({ backoffBaseMs: 100 });
});

test.after.each(async (context) => {
  await context.farm.stop();
});

/** Queues a build of `drvPath` wanted by one job of `spec`, as the scheduler would. */
async function queue(farm: PipelineFixture, drvPath: string, spec: string, priority = 0): Promise<void> {
  await farm.command(drvPath, {
    type: 'QueueBuild',
    drvPath,
    system: 'x86_64-linux',
    wantedBy: [{ spec, evaluation: `${spec}-1`, job: drvPath.slice(44, -4) }],
    priority,
    dependencies: [],
    actor: 'scheduler',
    at: new Date().toISOString(),
  });
}

/** Sends an operator's command to a worker's stream and waits until the projections have it. */
async function operate(
  farm: PipelineFixture,
  type: 'DrainWorker' | 'ResumeWorker' | 'RemoveWorker',
  name: string,
) {
  const at = new Date().toISOString();
  const command = { type, name, actor: 'user:test', at } as WorkerCommand;
  const handled = await handleCommand(farm.events, workerDecider, streams.worker(name), command, {
    cause: { kind: 'command', id: `${type}:${name}:${at}` },
    actor: 'user:test',
    at,
  });
  if (handled.position !== undefined) await farm.projections.waitFor(handled.position, 10_000);
  await farm.dispatcher.settled();
}

/** Queues a build and waits until the dispatcher has made every decision it leads to. */
async function queueAndSettle(farm: PipelineFixture, drvPath: string, spec: string): Promise<void> {
  await queue(farm, drvPath, spec);
  await farm.until(() => farm.build(drvPath)?.status === 'queued', `${drvPath} queued`);
  await farm.dispatcher.settled();
}

const typesOf = (events: readonly RecordedEvent[]) => events.map((event) => event.type);
const dataOf = (event: RecordedEvent | undefined) => (event?.data ?? {}) as Record<string, unknown>;
const metaAt = (event: RecordedEvent) => Date.parse(String(event.metadata.at));
const infrastructure = (detail: string) =>
  ({ ok: false, reason: 'infrastructure', detail, message: detail }) as const;

test(
  'retries an infrastructure failure after a backoff with a new attempt id, then fails once retries are spent',
  withTimeout(20_000, async ({ farm }) => {
    await farm.registerSpec(specNamed('flaky', { retries: 2 }));
    const drvPath = drv('flaky-1.0');
    await queue(farm, drvPath, 'flaky');
    const worker = new ScriptedWorker('w1');
    await farm.dispatcher.addWorker('w1', worker.connect);

    const first = await worker.assignment(0);
    assert.is(first.attempt, 1);
    worker.started(first.attemptId);
    const reportedAt = [Date.now()];
    worker.finish(first.attemptId, infrastructure('worker lost: the connection dropped'));
    await farm.until(() => farm.build(drvPath)?.retries === 1, 'the build requeued once');

    const second = await worker.assignment(1);
    assert.is.not(second.attemptId, first.attemptId, 'a retry is a new attempt');
    assert.is(second.attempt, 2);
    reportedAt.push(Date.now());
    worker.finish(second.attemptId, infrastructure('input fetch failed: 404 for /nix/store/…-src'));
    const third = await worker.assignment(2);
    assert.ok(new Set([first, second, third].map((a) => a.attemptId)).size === 3, 'every attempt id is new');
    worker.finish(third.attemptId, infrastructure('input fetch failed again'));
    await farm.until(() => farm.build(drvPath)?.status === 'failed', 'the build failed');

    const events = await farm.buildEvents(drvPath);
    assert.equal(typesOf(events), [
      'BuildQueued',
      'BuildDispatched',
      'BuildStarted',
      'BuildRequeued',
      'BuildDispatched',
      'BuildRequeued',
      'BuildDispatched',
      'BuildFailed',
    ]);
    const requeues = events.filter((event) => event.type === 'BuildRequeued');
    const dispatches = events.filter((event) => event.type === 'BuildDispatched');
    for (const [i, requeue] of requeues.entries()) {
      const data = dataOf(requeue);
      assert.is(data.why, 'retry-after-backoff');
      assert.is(
        data.attemptId,
        [first, second][i]!.attemptId,
        'the requeue gives up the attempt that failed',
      );
      const notBefore = Date.parse(String(data.notBefore));
      // 100 ms after the first failure, then twice as long.
      const backoff = notBefore - reportedAt[i]!;
      assert.ok(backoff >= 100 * 2 ** i, `backoff ${i + 1} is ${backoff} ms`);
      assert.ok(metaAt(dispatches[i + 1]!) >= notBefore, 'the next attempt waits for its backoff');
    }
    assert.match(String(dataOf(requeues[0]).detail), /worker lost/);
    assert.match(String(dataOf(requeues[1]).detail), /input fetch failed/);
    const failed = dataOf(events.at(-1));
    assert.equal(failed.reason, { kind: 'infrastructure', detail: 'input fetch failed again' });
    assert.is(failed.attemptId, third.attemptId);
    await farm.dispatcher.settled();
    assert.is(worker.assignments.length, 3, 'nothing is dispatched after the failure');
  }),
);

test(
  'never retries a failure of the build itself, whatever retries the specification allows',
  withTimeout(15_000, async ({ farm }) => {
    await farm.registerSpec(specNamed('broken', { retries: 3 }));
    const exits = drv('exits-1.0');
    const slow = drv('slow-1.0');
    await queue(farm, exits, 'broken');
    await queue(farm, slow, 'broken');
    const worker = new ScriptedWorker('w1', { maxJobs: 2 });
    await farm.dispatcher.addWorker('w1', worker.connect);
    const byPath = new Map<string, Assignment>();
    for (const index of [0, 1]) {
      const assignment = await worker.assignment(index);
      byPath.set(assignment.drvPath, assignment);
    }
    worker.finish(byPath.get(exits)!.attemptId, {
      ok: false,
      reason: 'exit-code',
      exitCode: 2,
      message: 'the builder failed with exit code 2',
    });
    worker.finish(byPath.get(slow)!.attemptId, {
      ok: false,
      reason: 'timed-out',
      message: 'the build ran past its time limit',
    });
    await farm.until(
      () => farm.build(exits)?.status === 'failed' && farm.build(slow)?.status === 'failed',
      'both builds failed',
    );
    await farm.coordinator.idle();

    assert.equal(typesOf(await farm.buildEvents(exits)), ['BuildQueued', 'BuildDispatched', 'BuildFailed']);
    assert.equal(typesOf(await farm.buildEvents(slow)), ['BuildQueued', 'BuildDispatched', 'BuildFailed']);
    assert.equal(farm.build(exits)?.failure, { kind: 'exit-code', exitCode: 2 });
    assert.equal(farm.build(slow)?.failure, { kind: 'timed-out' });
    assert.is(worker.assignments.length, 2, 'neither build was dispatched again');
  }),
);

test(
  'fails an attempt as rejected when its worker reports a result the build cannot record',
  withTimeout(15_000, async ({ farm }) => {
    await farm.registerSpec(specNamed('odd'));
    const empty = drv('empty-1.0');
    await queue(farm, empty, 'odd');
    const worker = new ScriptedWorker('w1');
    await farm.dispatcher.addWorker('w1', worker.connect);
    const assignment = await worker.assignment(0);
    // A success with no outputs: no BuildSucceeded can say it, and the build must not stay dispatched.
    worker.finish(assignment.attemptId, { ok: true, outputs: [] });
    await farm.until(() => farm.build(empty)?.status === 'failed', 'the build failed');
    await farm.coordinator.idle();
    assert.equal(typesOf(await farm.buildEvents(empty)), ['BuildQueued', 'BuildDispatched', 'BuildFailed']);
    const failure = farm.build(empty)?.failure;
    assert.is(failure?.kind, 'output-rejected');
    assert.match(
      failure?.kind === 'output-rejected' ? failure.detail : '',
      /SucceedBuild could not be recorded/,
    );
  }),
);

test(
  'records and ignores a late result of an attempt that was requeued, leaving the build as it was',
  withTimeout(15_000, async ({ farm }) => {
    await farm.registerSpec(specNamed('late', { retries: 1 }));
    const drvPath = drv('late-1.0');
    await queue(farm, drvPath, 'late');
    const worker = new ScriptedWorker('w1');
    await farm.dispatcher.addWorker('w1', worker.connect);
    const first = await worker.assignment(0);
    worker.finish(first.attemptId, infrastructure('worker lost'));
    const second = await worker.assignment(1);
    await farm.until(() => farm.build(drvPath)?.status === 'dispatched', 'the retry dispatched');
    const before = farm.build(drvPath);

    // The first attempt answers after all, once its build has moved on to the second.
    worker.started(first.attemptId);
    worker.succeed(first);
    await farm.coordinator.idle();
    const events = await farm.buildEvents(drvPath);
    const ignored = events.filter((event) => event.type === 'BuildResultIgnored');
    assert.equal(
      ignored.map((event) => ({ attemptId: dataOf(event).attemptId, result: dataOf(event).result })),
      [
        { attemptId: first.attemptId, result: 'started' },
        { attemptId: first.attemptId, result: 'succeeded' },
      ],
    );
    assert.ok(ignored.every((event) => dataOf(event).why === 'stale-attempt'));
    assert.not.ok(typesOf(events).includes('BuildSucceeded'), 'the stale success changed nothing');
    assert.equal(farm.build(drvPath), before, 'the pipeline state of the build is unchanged');
    assert.is(farm.build(drvPath)?.attemptId, second.attemptId);

    worker.succeed(second);
    await farm.until(() => farm.build(drvPath)?.status === 'succeeded', 'the second attempt succeeded');
  }),
);

test(
  'shares one worker slot between a specification with many builds and one with few',
  withTimeout(20_000, async ({ farm }) => {
    await farm.registerSpec(specNamed('big'));
    await farm.registerSpec(specNamed('small'));
    const big = Array.from({ length: 8 }, (_, i) => drv(`big-${i}`));
    const small = Array.from({ length: 3 }, (_, i) => drv(`small-${i}`));
    // Every build of the big specification waits longer than any of the small one's.
    for (const drvPath of big) await queue(farm, drvPath, 'big');
    for (const drvPath of small) await queue(farm, drvPath, 'small');
    const worker = new ScriptedWorker('w1', { maxJobs: 1 });
    await farm.dispatcher.addWorker('w1', worker.connect);

    const order: string[] = [];
    for (let i = 0; i < big.length + small.length; i++) {
      const assignment = await worker.assignment(i);
      order.push(small.includes(assignment.drvPath) ? 'small' : 'big');
      assert.is(farm.dispatcher.running().get('w1'), 1, 'one build at a time');
      worker.succeed(assignment);
    }
    const smallAt = order.flatMap((spec, i) => (spec === 'small' ? [i] : []));
    // Interleaved: the n-th small build comes no later than the (n+1)-th big one.
    for (const [n, at] of smallAt.entries()) assert.ok(at <= 2 * n + 1, `dispatch order ${order.join(' ')}`);
    await farm.until(
      () => [...big, ...small].every((drvPath) => farm.build(drvPath)?.status === 'succeeded'),
      'every build succeeded',
    );
  }),
);

test(
  'dispatches the builds of a higher-priority specification first',
  withTimeout(15_000, async ({ farm }) => {
    await farm.registerSpec(specNamed('routine', { priority: 0 }));
    await farm.registerSpec(specNamed('urgent', { priority: 10 }));
    const routine = [drv('routine-0'), drv('routine-1')];
    const urgent = [drv('urgent-0'), drv('urgent-1')];
    for (const drvPath of routine) await queue(farm, drvPath, 'routine', 0);
    for (const drvPath of urgent) await queue(farm, drvPath, 'urgent', 10);
    const worker = new ScriptedWorker('w1', { maxJobs: 1 });
    await farm.dispatcher.addWorker('w1', worker.connect);
    const order: string[] = [];
    for (let i = 0; i < 4; i++) {
      const assignment = await worker.assignment(i);
      order.push(assignment.drvPath);
      worker.succeed(assignment);
    }
    assert.equal(order, [...urgent, ...routine]);
  }),
);

test(
  'a cancelled queued build leaves the queue; a cancelled running one is cancelled on its worker',
  withTimeout(15_000, async ({ farm }) => {
    await farm.registerSpec(specNamed('cancels'));
    const running = drv('running-1.0');
    const waiting = drv('waiting-1.0');
    const after = drv('after-1.0');
    for (const drvPath of [running, waiting, after]) await queue(farm, drvPath, 'cancels');
    const worker = new ScriptedWorker('w1', { maxJobs: 1 });
    await farm.dispatcher.addWorker('w1', worker.connect);
    const first = await worker.assignment(0);
    assert.is(first.drvPath, running, 'the oldest build goes first');

    await farm.command(waiting, {
      type: 'CancelBuild',
      drvPath: waiting,
      why: 'not needed',
      actor: 'user:test',
      at: new Date().toISOString(),
    });
    await farm.command(running, {
      type: 'CancelBuild',
      drvPath: running,
      actor: 'user:test',
      at: new Date().toISOString(),
    });
    await worker.cancelled(first.attemptId);
    assert.equal(worker.cancels, [first.attemptId], 'only the running attempt is cancelled on the worker');
    worker.finish(first.attemptId, { ok: false, reason: 'cancelled', message: 'the build was cancelled' });

    const next = await worker.assignment(1);
    assert.is(next.drvPath, after, 'the freed slot goes to the build after the cancelled one');
    worker.succeed(next);
    await farm.until(() => farm.build(after)?.status === 'succeeded', 'the last build succeeded');
    await farm.coordinator.idle();
    assert.is(worker.assignments.length, 2, 'the cancelled queued build was never dispatched');
    assert.equal(typesOf(await farm.buildEvents(waiting)), ['BuildQueued', 'BuildCancelled']);
    assert.equal(typesOf(await farm.buildEvents(running)), [
      'BuildQueued',
      'BuildDispatched',
      'BuildCancelled',
    ]);
    assert.is(farm.build(running)?.status, 'cancelled');
    assert.is(farm.build(waiting)?.status, 'cancelled');
  }),
);

test(
  'a cancelled build that a later evaluation wants goes back in the queue and is built',
  withTimeout(20_000, async ({ farm }) => {
    const dir = await tempDir('tally-cancel-again-');
    try {
      await farm.registerSpec(specNamed('again'));
      const made = shDrv(join(dir.path, 'store'), { name: 'again', script: 'echo > $out' });
      const job = {
        name: 'again',
        system: 'x86_64-linux',
        drvPath: made.drvPath,
        outputs: { out: made.out },
      };
      await farm.completeEvaluation('again', 'again-1', [job]);
      await farm.until(() => farm.build(made.drvPath)?.status === 'queued', 'the first evaluation queued it');
      await farm.command(made.drvPath, {
        type: 'CancelBuild',
        drvPath: made.drvPath,
        actor: 'user:test',
        at: new Date().toISOString(),
      });
      // The evaluation that wanted it then, scheduled again (say after a restart), leaves it cancelled.
      const again = await farm.command(made.drvPath, {
        type: 'QueueBuild',
        drvPath: made.drvPath,
        system: 'x86_64-linux',
        wantedBy: [{ spec: 'again', evaluation: 'again-1', job: 'again' }],
        priority: 0,
        dependencies: [],
        actor: 'scheduler',
        at: new Date().toISOString(),
      });
      assert.equal(again, []);
      assert.is(farm.build(made.drvPath)?.status, 'cancelled');

      await farm.completeEvaluation('again', 'again-2', [job]);
      const worker = new ScriptedWorker('w1');
      await farm.dispatcher.addWorker('w1', worker.connect);
      const assignment = await worker.assignment(0);
      assert.is(assignment.drvPath, made.drvPath);
      worker.succeed(assignment);
      await farm.until(() => farm.build(made.drvPath)?.status === 'succeeded', 'the build succeeded');
      const events = await farm.buildEvents(made.drvPath);
      assert.equal(typesOf(events).slice(0, 4), [
        'BuildQueued',
        'BuildCancelled',
        'BuildWanted',
        'BuildRestarted',
      ]);
      assert.equal(events[3]!.data, {
        drvPath: made.drvPath,
        by: 'scheduler',
        why: 'wanted by evaluation again-2 after it was cancelled',
      });
    } finally {
      await dir.cleanup();
    }
  }),
);

test(
  'a drained worker gets no new work until it is resumed; a connected one cannot be removed',
  withTimeout(20_000, async ({ farm }) => {
    await farm.registerSpec(specNamed('upkeep'));
    const worker = new ScriptedWorker('w1');
    await farm.dispatcher.addWorker('w1', worker.connect);
    await operate(farm, 'DrainWorker', 'w1');

    const first = drv('first-1.0');
    await queueAndSettle(farm, first, 'upkeep');
    assert.is(worker.assignments.length, 0, 'a drained worker is given nothing');

    await operate(farm, 'ResumeWorker', 'w1');
    const resumed = await worker.assignment(0);
    assert.is(resumed.drvPath, first, 'resumed, it takes the build that waited');
    worker.succeed(resumed);
    await farm.until(() => farm.build(first)?.status === 'succeeded', 'the first build succeeded');

    // Connected, it cannot be removed (draining is how it stops getting work), and stays the farm's.
    const refused = await operate(farm, 'RemoveWorker', 'w1').then(
      () => undefined,
      (error: unknown) => error,
    );
    assert.ok(isDomainError(refused) && refused.code === 'TALLY_WORKER_CONNECTED', String(refused));
    const second = drv('second-1.0');
    await queueAndSettle(farm, second, 'upkeep');
    assert.is((await worker.assignment(1)).drvPath, second, 'it takes the next build');
  }),
);

test.run();
