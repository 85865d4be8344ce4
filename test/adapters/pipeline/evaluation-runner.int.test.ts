/**
 * The evaluation runner with the native evaluator on a real git repository (read from a mirror where
 * the poller keeps it) and a real ledger: a jobset of 3,000 jobs recorded in several chunks, each
 * under the store's 1 MiB, and completed with the right counts; a runner stopped between two chunks
 * records nothing more, and the next one resumes after the chunks already recorded; an evaluation
 * aborted by a person is never continued or started.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Evaluator } from '../../../adapters/evaluators/evaluator.ts';
import { createNativeEvaluator } from '../../../adapters/evaluators/native/native-evaluator.ts';
import { handleCommand } from '../../../adapters/eventstore/command-handler.ts';
import { connectEventStore } from '../../../adapters/eventstore/esdb-event-store.ts';
import type { EventStore, NewEvent, RecordedEvent } from '../../../adapters/eventstore/event-store.ts';
import { mirrorPath } from '../../../adapters/git/mirror-path.ts';
import {
  createEvaluationRunner,
  type EvaluationRunner,
  type PendingEvaluationRun,
} from '../../../adapters/pipeline/evaluation-runner/index.ts';
import { openFileStore } from '../../../adapters/store/file-store.ts';
import type { Store } from '../../../adapters/store/store.ts';
import type { EvaluationCommand } from '../../../domain/evaluation/commands.ts';
import { evaluationDecider } from '../../../domain/evaluation/index.ts';
import type { Job } from '../../../domain/evaluation/job.ts';
import { streams } from '../../../domain/shared/streams.ts';
import type { Specification } from '../../../domain/specification/specification.ts';
import { startTestLedger, type TestLedger } from '../../helpers/ledger.ts';
import { collect, tempDir, withTimeout } from '../../helpers/uvu.ts';
import { sleepers, uniqueSleep, until } from '../builders/processes.ts';
import { commitTimeIso, git, makeRepo } from '../git/git-fixture.ts';
import { quietLogger, specNamed } from './pipeline-fixture.ts';

const jobCount = 3000;
const mebibyte = 1024 * 1024;
/** Long names make the jobs take about 2 MB of events: several chunks. */
const padding = 'x'.repeat(150);
const jobName = (i: number) => `package-${String(i).padStart(4, '0')}-${padding}`;

/** 3,000 jobs; every tenth uses the job before it, so some derivations have inputs. */
function jobset(): string {
  const jobs: Record<string, unknown> = {};
  for (let i = 0; i < jobCount; i++) {
    const input = i % 10 === 9 ? jobName(i - 1) : undefined;
    jobs[jobName(i)] = {
      system: 'x86_64-linux',
      builder: '/bin/sh',
      args: ['-c', input ? `echo @{job:${input}} > $out` : `echo ${i} > $out`],
      ...(input ? { inputs: [input] } : {}),
    };
  }
  return `${JSON.stringify({ jobs })}\n`;
}

interface Context {
  dir: { path: string; cleanup(): Promise<void> };
  dataDir: string;
  ledger: TestLedger;
  events: EventStore;
  storeRoot: { path: string; cleanup(): Promise<void> };
  store: Store;
  spec: Specification;
  run: PendingEvaluationRun;
  /** How many times the evaluator was asked to evaluate. */
  evaluations: number;
  runners: EvaluationRunner[];
}

const test = suite<Context>('the evaluation runner with the native evaluator');

test.before(async (context) => {
  context.dir = await tempDir('tally-evaluation-runner-');
  const repo = makeRepo(join(context.dir.path, 'repo'), { 'tally.jobs.json': jobset() });
  context.dataDir = join(context.dir.path, 'data');
  // Where the poller would have mirrored the channel.
  git(context.dir.path, 'clone', '--quiet', '--mirror', repo, mirrorPath(context.dataDir, repo));
  context.spec = specNamed('large', { channels: [{ name: 'main', url: repo, branch: 'main' }] });
  const checkout = {
    channel: 'main',
    url: repo,
    branch: 'main',
    commit: git(repo, 'rev-parse', 'HEAD'),
    commitTime: commitTimeIso,
  };
  context.run = { evaluationId: '', spec: context.spec, checkouts: [checkout], started: false };
});

test.after(async (context) => {
  await context.dir.cleanup();
});

test.before.each(async (context) => {
  context.ledger = await startTestLedger({ memory: true });
  context.events = await connectEventStore(context.ledger.ledger.url);
  context.storeRoot = await tempDir('tally-evaluation-store-');
  context.store = await openFileStore({
    storeDir: join(context.storeRoot.path, 'nix', 'store'),
    stateDir: join(context.storeRoot.path, 'state'),
  });
  context.evaluations = 0;
  context.runners = [];
});

test.after.each(async (context) => {
  for (const runner of context.runners) await runner.stop();
  await context.events.close();
  await context.ledger.stop();
  await context.storeRoot.cleanup();
});

/** The runner over `events` (the test's store unless given), counting evaluations. */
function runner(context: Context, events: EventStore = context.events): EvaluationRunner {
  const native = createNativeEvaluator();
  const counting: Evaluator = {
    name: native.name,
    evaluate(request) {
      context.evaluations++;
      return native.evaluate(request);
    },
  };
  const made = createEvaluationRunner({
    eventStore: events,
    store: context.store,
    dataDir: context.dataDir,
    logger: quietLogger,
    evaluators: { native: counting },
    limits: { timeoutMs: 60_000, memoryBytes: 1024 * mebibyte, outputBytes: 64 * mebibyte },
  });
  context.runners.push(made);
  return made;
}

/** `events`, with `after` awaited after every append it makes (before the appender hears back). */
function afterAppends(
  events: EventStore,
  after: (streamId: string, appended: readonly NewEvent[]) => Promise<void> | void,
): EventStore {
  return {
    async append(streamId, appended, expected) {
      const result = await events.append(streamId, appended, expected);
      await after(streamId, appended);
      return result;
    },
    readStream: (streamId, options) => events.readStream(streamId, options),
    readAll: (options) => events.readAll(options),
    subscribeToAll: (options) => events.subscribeToAll(options),
    close: () => events.close(),
  };
}

async function send(context: Context, evaluationId: string, command: EvaluationCommand): Promise<void> {
  const at = {
    cause: { kind: 'command', id: `${evaluationId}:${command.type}` } as const,
    actor: 'user:test' as const,
    at: command.at,
  };
  await handleCommand(context.events, evaluationDecider, streams.evaluation(evaluationId), command, at);
}

async function request(context: Context, evaluationId: string): Promise<PendingEvaluationRun> {
  const run = { ...context.run, evaluationId };
  await send(context, evaluationId, {
    type: 'RequestEvaluation',
    evaluationId,
    spec: context.spec.name,
    trigger: { kind: 'manual' },
    checkouts: run.checkouts,
    actor: 'user:test',
    at: new Date().toISOString(),
  });
  return run;
}

const abort = (context: Context, evaluationId: string) =>
  send(context, evaluationId, {
    type: 'AbortEvaluation',
    evaluationId,
    why: 'not wanted any more',
    actor: 'user:test',
    at: new Date().toISOString(),
  });

const history = (context: Context, evaluationId: string) =>
  collect(context.events.readStream(streams.evaluation(evaluationId)));

const typesOf = (events: readonly RecordedEvent[]) => events.map((event) => event.type);
const chunksOf = (events: readonly RecordedEvent[]) =>
  events
    .filter((event) => event.type === 'EvaluationJobsAdded')
    .map((event) => event.data as { chunk: number; jobs: Job[] });
const isChunk = (appended: readonly NewEvent[], chunk: number) =>
  appended.some(
    (event) => event.type === 'EvaluationJobsAdded' && (event.data as { chunk: number }).chunk === chunk,
  );

/** Asserts the recorded evaluation holds each of the 3,000 jobs once, in chunks 0, 1, 2… under 1 MiB. */
async function assertAllJobsOnce(context: Context, events: readonly RecordedEvent[]): Promise<void> {
  const chunks = chunksOf(events);
  assert.ok(chunks.length >= 2, `${chunks.length} chunks`);
  assert.equal(
    chunks.map((chunk) => chunk.chunk),
    chunks.map((_, i) => i),
  );
  for (const event of events.filter((each) => each.type === 'EvaluationJobsAdded')) {
    const bytes = Buffer.byteLength(JSON.stringify(event.data));
    assert.ok(bytes < mebibyte, `a chunk of ${bytes} bytes`);
  }
  const jobs = chunks.flatMap((chunk) => chunk.jobs);
  assert.is(jobs.length, jobCount);
  assert.equal(
    jobs.map((job) => job.name).sort(),
    Array.from({ length: jobCount }, (_, i) => jobName(i)),
    'every job exactly once',
  );
  const completed = events.at(-1);
  assert.is(completed?.type, 'EvaluationCompleted');
  assert.is((completed?.data as { jobCount?: number } | undefined)?.jobCount, jobCount);
  for (const job of jobs) assert.ok(await context.store.has(job.drvPath), `${job.drvPath} is valid`);
}

test(
  'records 3,000 jobs in several chunks under 1 MiB each and completes with their count',
  withTimeout(120_000, async (context) => {
    const run = await request(context, 'large-1');
    const evaluationRunner = runner(context);
    evaluationRunner.enqueue(run);
    await evaluationRunner.idle();

    const events = await history(context, 'large-1');
    const chunks = chunksOf(events).length;
    assert.equal(typesOf(events), [
      'EvaluationRequested',
      'EvaluationStarted',
      ...Array<string>(chunks).fill('EvaluationJobsAdded'),
      'EvaluationCompleted',
    ]);
    await assertAllJobsOnce(context, events);
    assert.is(context.evaluations, 1);
    assert.not.ok(existsSync(join(context.dataDir, 'evaluations', 'large-1')), 'the work directory is gone');
  }),
);

test(
  'a job too large for one event fails its evaluation as output-too-large, once, not retried',
  withTimeout(60_000, async (context) => {
    // One job whose 5,000 outputs, with their paths, take more than the store's 1 MiB an event.
    const outputs = Array.from({ length: 5000 }, (_, i) => `o${i}${'y'.repeat(180)}`);
    const huge = { system: 'x86_64-linux', builder: '/bin/sh', args: ['-c', 'true'], outputs };
    const repo = makeRepo(join(context.dir.path, 'huge-repo'), {
      'tally.jobs.json': `${JSON.stringify({ jobs: { huge } })}\n`,
    });
    if (!existsSync(mirrorPath(context.dataDir, repo)))
      git(context.dir.path, 'clone', '--quiet', '--mirror', repo, mirrorPath(context.dataDir, repo));
    const checkout = { ...context.run.checkouts[0]!, url: repo, commit: git(repo, 'rev-parse', 'HEAD') };
    const run = { ...(await request(context, 'huge-1')), checkouts: [checkout] };
    const evaluationRunner = runner(context);
    evaluationRunner.enqueue(run);
    await evaluationRunner.idle();

    const events = await history(context, 'huge-1');
    assert.equal(typesOf(events), ['EvaluationRequested', 'EvaluationStarted', 'EvaluationFailed']);
    assert.is((events.at(-1)!.data as { reason: string }).reason, 'output-too-large');
    assert.is(context.evaluations, 1, 'not run again');
  }),
);

test(
  'a runner stopped between two chunks records nothing more; the next resumes without recording a chunk twice',
  withTimeout(120_000, async (context) => {
    const run = await request(context, 'large-2');
    let stopping: Promise<void> | undefined;
    const first: EvaluationRunner = runner(
      context,
      afterAppends(context.events, (_, appended) => {
        // The server shuts down just after the second chunk is on disk.
        if (isChunk(appended, 1)) stopping = first.stop();
      }),
    );
    first.enqueue(run);
    await first.idle();
    assert.ok(stopping, 'the runner was stopped');
    await stopping;
    assert.equal(typesOf(await history(context, 'large-2')), [
      'EvaluationRequested',
      'EvaluationStarted',
      'EvaluationJobsAdded',
      'EvaluationJobsAdded',
    ]);
    first.enqueue({ ...run, started: true });
    assert.is(context.evaluations, 1, 'a stopped runner takes no more work');

    // After the restart, the coordinator finds the evaluation started and runs it again.
    const second = runner(context);
    second.enqueue({ ...run, started: true });
    await second.idle();
    const events = await history(context, 'large-2');
    assert.is(typesOf(events).filter((type) => type === 'EvaluationStarted').length, 1, 'started once');
    await assertAllJobsOnce(context, events);
    assert.is(context.evaluations, 2);
  }),
);

test(
  'an evaluation aborted while its jobs are recorded records nothing more, and is not run again',
  withTimeout(120_000, async (context) => {
    const run = await request(context, 'large-3');
    const evaluationRunner = runner(
      context,
      afterAppends(context.events, async (_, appended) => {
        if (isChunk(appended, 0)) await abort(context, 'large-3');
      }),
    );
    evaluationRunner.enqueue(run);
    await evaluationRunner.idle();
    assert.equal(typesOf(await history(context, 'large-3')), [
      'EvaluationRequested',
      'EvaluationStarted',
      'EvaluationJobsAdded',
      'EvaluationAborted',
    ]);

    const restarted = runner(context);
    restarted.enqueue({ ...run, started: true });
    await restarted.idle();
    assert.is(context.evaluations, 1, 'the aborted evaluation was not evaluated again');
    assert.is((await history(context, 'large-3')).length, 4, 'nothing was recorded after the abort');
  }),
);

test(
  'an evaluation aborted before it started is skipped without running the evaluator',
  withTimeout(30_000, async (context) => {
    const run = await request(context, 'large-4');
    await abort(context, 'large-4');
    const evaluationRunner = runner(context);
    evaluationRunner.enqueue(run);
    await evaluationRunner.idle();
    assert.is(context.evaluations, 0);
    assert.equal(typesOf(await history(context, 'large-4')), ['EvaluationRequested', 'EvaluationAborted']);
    assert.not.ok(existsSync(join(context.dataDir, 'evaluations', 'large-4')));
  }),
);

test(
  'an evaluation aborted while its evaluator runs has the evaluator killed and records nothing more',
  withTimeout(60_000, async (context) => {
    // Found by its command line: in the evaluator's pid namespace, the pid it could print means nothing here.
    const duration = uniqueSleep();
    const repo = makeRepo(join(context.dir.path, 'hanging'), {
      'jobs.sh': `#!/bin/sh\nexec /bin/sleep ${duration}\n`,
    });
    git(context.dir.path, 'clone', '--quiet', '--mirror', repo, mirrorPath(context.dataDir, repo));
    const spec = specNamed('hanging', {
      channels: [{ name: 'main', url: repo, branch: 'main' }],
      evaluator: { kind: 'native', entry: 'jobs.sh' },
    });
    const checkout = { ...context.run.checkouts[0]!, url: repo, commit: git(repo, 'rev-parse', 'HEAD') };
    const run = { ...(await request(context, 'hanging-1')), spec, checkouts: [checkout] };
    const evaluationRunner = runner(context);
    evaluationRunner.enqueue(run);
    await until(() => sleepers(duration).length > 0, 30_000, 'the jobs program to start');
    await abort(context, 'hanging-1');
    const aborted = Date.now();
    evaluationRunner.cancel('hanging-1');
    await evaluationRunner.idle();
    assert.ok(Date.now() - aborted < 10_000, 'the runner let go of the evaluation at once');
    await until(() => sleepers(duration).length === 0, 2000, 'the jobs program to be killed');
    assert.equal(typesOf(await history(context, 'hanging-1')), [
      'EvaluationRequested',
      'EvaluationStarted',
      'EvaluationAborted',
    ]);
    assert.not.ok(
      existsSync(join(context.dataDir, 'evaluations', 'hanging-1')),
      'its work directory is gone',
    );
  }),
);

test.run();
