/**
 * The notifier on a real ledger with the farm's projections and coordinator, posting to a real HTTP
 * receiver: an evaluation's end is reported once per target, signed, with its jobs' weather; a failed
 * delivery is retried, and a restarted notifier resumes a waiting retry without repeating what was sent.
 */
import { join } from 'node:path';
import pino from 'pino';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { handleCommand } from '../../../adapters/eventstore/command-handler.ts';
import { createNotifier, type Notifier } from '../../../adapters/notifications/notifier.ts';
import { secretKeyFromSeed, verifyDetached } from '../../../domain/derivation/signing.ts';
import { evaluationDecider } from '../../../domain/evaluation/index.ts';
import { evaluationNotificationId } from '../../../domain/notification/policy.ts';
import { streams } from '../../../domain/shared/streams.ts';
import { specificationDecider } from '../../../domain/specification/index.ts';
import type { Specification } from '../../../domain/specification/specification.ts';
import { collect, tempDir, withTimeout } from '../../helpers/uvu.ts';
import { shDrv } from '../builders/derivations.ts';
import { type PipelineFixture, specNamed, startPipelineFixture } from '../pipeline/pipeline-fixture.ts';
import { startReceiver } from './receiver.ts';

const test = suite('notifier');
const key = secretKeyFromSeed('farm.example.org-1', new Uint8Array(32).fill(7));
const quiet = pino({ level: process.env.TALLY_TEST_LOG ?? 'silent' });
const at = () => new Date().toISOString();
const output = (path: string) => ({
  name: 'out',
  path,
  narHash: `sha256:${'0'.repeat(52)}`,
  narSize: 1,
  references: [],
});

function startNotifier(farm: PipelineFixture, retryDelaysMs: readonly number[]): Notifier {
  return createNotifier({
    events: farm.events,
    projections: farm.projections,
    signingKey: key,
    logger: quiet,
    retryDelaysMs,
    timeoutMs: 2_000,
  });
}

async function queuedEvaluation(
  farm: PipelineFixture,
  spec: string,
  id: string,
  jobs: ReturnType<typeof shDrv>[],
  names: string[],
) {
  await farm.completeEvaluation(
    spec,
    id,
    jobs.map((made, i) => ({
      name: names[i]!,
      system: 'x86_64-linux',
      drvPath: made.drvPath,
      outputs: { out: made.out },
    })),
  );
  await farm.until(() => jobs.every((made) => farm.build(made.drvPath) !== undefined), 'builds queued');
  await farm.coordinator.idle();
}

const substitute = (farm: PipelineFixture, made: ReturnType<typeof shDrv>) =>
  farm.command(made.drvPath, {
    type: 'SubstituteBuild',
    drvPath: made.drvPath,
    from: 'https://cache.example.org',
    outputs: [output(made.out)],
    at: at(),
    actor: 'scheduler',
  });
const fail = (farm: PipelineFixture, made: ReturnType<typeof shDrv>) =>
  farm.command(made.drvPath, {
    type: 'FailBuild',
    drvPath: made.drvPath,
    reason: { kind: 'exit-code', exitCode: 1 },
    at: at(),
    actor: 'scheduler',
  });

/** Records an evaluation that failed after recording its jobs (they stay among the wanters of their derivations). */
async function failedEvaluation(
  farm: PipelineFixture,
  spec: string,
  id: string,
  jobs: ReturnType<typeof shDrv>[],
) {
  const stream = streams.evaluation(id);
  const send = async (command: Parameters<typeof evaluationDecider.decide>[0]) => {
    const context = {
      cause: { kind: 'command', id: `${id}:${command.type}` } as const,
      actor: 'evaluator' as const,
      at: at(),
    };
    const handled = await handleCommand(farm.events, evaluationDecider, stream, command, context);
    if (handled.position !== undefined) await farm.projections.waitFor(handled.position, 10_000);
  };
  const common = { evaluationId: id, actor: 'evaluator', at: at() } as const;
  const checkout = {
    channel: 'main',
    url: '/nowhere',
    branch: 'main',
    commit: 'b'.repeat(40),
    commitTime: at(),
  };
  await send({
    ...common,
    type: 'RequestEvaluation',
    spec,
    trigger: { kind: 'manual' },
    checkouts: [checkout],
  });
  await send({ ...common, type: 'StartEvaluation', evaluator: { kind: 'native', entry: 'tally.jobs.json' } });
  if (jobs.length > 0)
    await send({
      ...common,
      type: 'AddEvaluationJobs',
      chunk: 0,
      jobs: jobs.map((made, i) => ({
        name: `j${i}`,
        system: 'x86_64-linux',
        drvPath: made.drvPath,
        outputs: { out: made.out },
      })),
    });
  await send({ ...common, type: 'FailEvaluation', reason: 'evaluator-error', logRef: 'none' });
}

async function changeSpec(farm: PipelineFixture, spec: Specification) {
  const context = {
    cause: { kind: 'command', id: `update:${Math.random()}` } as const,
    actor: 'user:test' as const,
    at: at(),
  };
  const handled = await handleCommand(
    farm.events,
    specificationDecider,
    streams.spec(spec.name),
    { type: 'UpdateSpecification', spec, actor: context.actor, at: context.at },
    context,
  );
  if (handled.position !== undefined) await farm.projections.waitFor(handled.position, 10_000);
}

const streamTypes = async (farm: PipelineFixture, id: string) =>
  (await collect(farm.events.readStream(streams.notification(id)))).map((event) => event.type);

test(
  'reports each ended evaluation once, signed, with its new failures and fixed jobs',
  withTimeout(40_000, async () => {
    const dir = await tempDir('tally-notifier-');
    const receiver = await startReceiver([200]);
    const farm = await startPipelineFixture();
    let notifier = startNotifier(farm, [50]);
    try {
      await notifier.start();
      const store = join(dir.path, 'store');
      await farm.registerSpec(specNamed('told', { notifications: [{ kind: 'webhook', url: receiver.url }] }));
      await farm.registerSpec(specNamed('quiet'));
      const a = shDrv(store, { name: 'a', script: 'echo a > $out' });
      const b = shDrv(store, { name: 'b', script: 'exit 1' });
      await queuedEvaluation(farm, 'told', 'told-1', [a, b], ['a', 'b']);
      await substitute(farm, a);
      await notifier.idle();
      assert.is(receiver.requests.length, 0, 'not ended while a job waits for its build');

      await fail(farm, b);
      await receiver.received(1);
      await notifier.idle();
      const first = receiver.requests[0]!;
      const id = evaluationNotificationId('told-1', receiver.url);
      assert.is(first.headers['x-tally-notification-id'], id);
      assert.ok(
        verifyDetached(first.body, String(first.headers['x-tally-signature']), [key.publicKey]),
        'signed with the farm key',
      );
      const report = JSON.parse(first.body);
      assert.is(report.spec, 'told');
      assert.is(report.outcome, 'failed');
      assert.is(report.evaluation.id, 'told-1');
      assert.is(report.evaluation.counts.failed, 1);
      assert.equal(report.newFailures, [{ job: 'b', drvPath: b.drvPath, status: 'failed' }]);
      assert.equal(report.fixed, []);
      assert.equal(await streamTypes(farm, id), ['NotificationSent']);

      // The next evaluation fixes b: it is reported as fixed, compared with the first.
      const fixedB = shDrv(store, { name: 'b', script: 'echo b > $out' });
      await queuedEvaluation(farm, 'told', 'told-2', [a, fixedB], ['a', 'b']);
      await substitute(farm, fixedB);
      await receiver.received(2);
      const second = JSON.parse(receiver.requests[1]!.body);
      assert.is(second.outcome, 'succeeded');
      assert.is(second.comparedWith, 'told-1');
      assert.equal(second.fixed, [{ job: 'b', drvPath: fixedB.drvPath, status: 'substituted' }]);
      assert.equal(second.newFailures, []);

      // A specification without targets is told nothing.
      const c = shDrv(store, { name: 'c', script: 'exit 1' });
      await queuedEvaluation(farm, 'quiet', 'quiet-1', [c], ['c']);
      await fail(farm, c);

      // A restarted notifier finds both reports sent and sends nothing again.
      await notifier.stop();
      notifier = startNotifier(farm, [50]);
      await notifier.start();
      await notifier.idle();
      assert.is(receiver.requests.length, 2);
    } finally {
      await notifier.stop();
      await farm.stop();
      await receiver.close();
      await dir.cleanup();
    }
  }),
);

test(
  'retries a delivery that failed, and a restarted notifier takes up the waiting retry',
  withTimeout(40_000, async () => {
    const dir = await tempDir('tally-notifier-');
    const receiver = await startReceiver([503, 200]);
    const refusing = await startReceiver([404]);
    const farm = await startPipelineFixture();
    let notifier = startNotifier(farm, [1_500]);
    try {
      await notifier.start();
      const targets = [
        { kind: 'webhook', url: receiver.url },
        { kind: 'webhook', url: refusing.url },
      ] as const;
      await farm.registerSpec(specNamed('flaky', { notifications: targets }));
      const a = shDrv(join(dir.path, 'store'), { name: 'a', script: 'exit 1' });
      await queuedEvaluation(farm, 'flaky', 'flaky-1', [a], ['a']);
      await fail(farm, a);
      await receiver.received(1);
      await refusing.received(1);
      await notifier.idle();
      const id = evaluationNotificationId('flaky-1', receiver.url);
      assert.equal(await streamTypes(farm, id), ['NotificationFailed']);
      const refused = evaluationNotificationId('flaky-1', refusing.url);
      const [given] = await collect(farm.events.readStream(streams.notification(refused)));
      const failure = given?.data as { reason: string; retryAt?: string } | undefined;
      assert.is(failure?.reason, 'rejected');
      assert.ok(failure && failure.retryAt === undefined, 'a refusal is not retried');

      // Stopped before the retry is due: the next notifier sends attempt 2 when it is.
      await notifier.stop();
      notifier = startNotifier(farm, [1_500]);
      await notifier.start();
      await receiver.received(2);
      await notifier.idle();
      assert.is(receiver.requests[1]!.headers['x-tally-attempt'], '2');
      assert.equal(await streamTypes(farm, id), ['NotificationFailed', 'NotificationSent']);
      assert.is(refusing.requests.length, 1, 'the refusing receiver is not asked again');
      assert.is(receiver.requests.length, 2, 'the first notifier did not retry after it stopped');
    } finally {
      await notifier.stop();
      await farm.stop();
      await receiver.close();
      await refusing.close();
      await dir.cleanup();
    }
  }),
);

test(
  'reports a long evaluation however many failed after it, and never an old failure to a target added since',
  withTimeout(40_000, async () => {
    const dir = await tempDir('tally-notifier-');
    const receiver = await startReceiver([200]);
    const farm = await startPipelineFixture();
    const notifier = startNotifier(farm, [50]);
    try {
      await notifier.start();
      const store = join(dir.path, 'store');
      const quietSpec = specNamed('late');
      await farm.registerSpec(quietSpec);
      const slow = shDrv(store, { name: 'slow', script: 'echo > $out' });
      // Before any target: an evaluation that failed with its jobs recorded.
      await failedEvaluation(farm, 'late', 'late-0', [slow]);
      await changeSpec(farm, { ...quietSpec, notifications: [{ kind: 'webhook', url: receiver.url }] });
      await queuedEvaluation(farm, 'late', 'late-1', [slow], ['slow']);

      // Four pushes fail to evaluate while late-1 builds: each is reported.
      for (const n of [2, 3, 4, 5]) await failedEvaluation(farm, 'late', `late-${n}`, []);
      await receiver.received(4);
      await substitute(farm, slow);
      await receiver.received(5);
      await notifier.idle();
      const reported = receiver.requests.map((request) => JSON.parse(request.body).evaluation.id);
      assert.equal(reported.sort(), ['late-1', 'late-2', 'late-3', 'late-4', 'late-5']);
      assert.equal(await streamTypes(farm, evaluationNotificationId('late-0', receiver.url)), []);
    } finally {
      await notifier.stop();
      await farm.stop();
      await receiver.close();
      await dir.cleanup();
    }
  }),
);

test(
  'reports after a restart what ended while it was stopped, though the spec changed since the request',
  withTimeout(40_000, async () => {
    const dir = await tempDir('tally-notifier-');
    const receiver = await startReceiver([200]);
    const farm = await startPipelineFixture();
    let notifier = startNotifier(farm, [50]);
    try {
      await notifier.start();
      const spec = specNamed('down', { notifications: [{ kind: 'webhook', url: receiver.url }] });
      await farm.registerSpec(spec);
      const a = shDrv(join(dir.path, 'store'), { name: 'a', script: 'echo > $out' });
      await queuedEvaluation(farm, 'down', 'down-1', [a], ['a']);
      await notifier.stop();
      // While it is stopped: an unrelated change of the spec, then the last build ends.
      await changeSpec(farm, { ...spec, pollingPeriodSeconds: 600 });
      await substitute(farm, a);
      assert.is(receiver.requests.length, 0);
      notifier = startNotifier(farm, [50]);
      await notifier.start();
      await receiver.received(1);
      assert.is(JSON.parse(receiver.requests[0]!.body).evaluation.id, 'down-1');
    } finally {
      await notifier.stop();
      await farm.stop();
      await receiver.close();
      await dir.cleanup();
    }
  }),
);

test(
  'gives up a waiting retry to a target taken out of the specification',
  withTimeout(40_000, async () => {
    const dir = await tempDir('tally-notifier-');
    const receiver = await startReceiver([503]);
    const farm = await startPipelineFixture();
    const notifier = startNotifier(farm, [1_000]);
    try {
      await notifier.start();
      const spec = specNamed('gone', { notifications: [{ kind: 'webhook', url: receiver.url }] });
      await farm.registerSpec(spec);
      await failedEvaluation(farm, 'gone', 'gone-1', []);
      await receiver.received(1);
      await notifier.idle();
      await changeSpec(farm, { ...spec, notifications: [] });
      const id = evaluationNotificationId('gone-1', receiver.url);
      const since = Date.now();
      while ((await streamTypes(farm, id)).length < 2 && Date.now() - since < 10_000)
        await new Promise((resolve) => setTimeout(resolve, 100));
      const [, last] = await collect(farm.events.readStream(streams.notification(id)));
      assert.is(last?.type, 'NotificationFailed');
      assert.equal(
        (({ reason, detail, retryAt }) => [reason, detail, retryAt])(last?.data as Record<string, unknown>),
        ['misconfigured', 'the target was removed from the specification', undefined],
      );
      assert.is(receiver.requests.length, 1, 'not asked again');
    } finally {
      await notifier.stop();
      await farm.stop();
      await receiver.close();
      await dir.cleanup();
    }
  }),
);

test.run();
