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

const jobsOf = (made: readonly ReturnType<typeof shDrv>[], names: readonly string[]) =>
  made.map((drv, i) => ({
    name: names[i]!,
    system: 'x86_64-linux',
    drvPath: drv.drvPath,
    outputs: { out: drv.out },
  }));

interface Farm {
  readonly farm: PipelineFixture;
  readonly receiver: Awaited<ReturnType<typeof startReceiver>>;
  /** Where the test's derivations go. */
  readonly store: string;
  /** Stops the running notifier (if it runs) and starts another. */
  restart(): Promise<void>;
  stopNotifier(): Promise<void>;
}

/** A pipeline farm, a receiver answering `statuses`, and a started notifier, all stopped after `work`. */
async function withFarm(
  statuses: readonly number[],
  retryDelaysMs: readonly number[],
  work: (farm: Farm) => Promise<void>,
): Promise<void> {
  const dir = await tempDir('tally-notifier-');
  const receiver = await startReceiver(statuses);
  const farm = await startPipelineFixture();
  let notifier: Notifier | undefined = startNotifier(farm, retryDelaysMs);
  const stopNotifier = async () => {
    await notifier?.stop();
    notifier = undefined;
  };
  try {
    await notifier.start();
    await work({
      farm,
      receiver,
      store: join(dir.path, 'store'),
      stopNotifier,
      async restart() {
        await stopNotifier();
        notifier = startNotifier(farm, retryDelaysMs);
        await notifier.start();
      },
    });
    await notifier?.idle();
  } finally {
    await stopNotifier();
    await farm.stop();
    await receiver.close();
    await dir.cleanup();
  }
}

async function queuedEvaluation(
  farm: PipelineFixture,
  spec: string,
  id: string,
  jobs: ReturnType<typeof shDrv>[],
  names: string[],
) {
  await farm.completeEvaluation(spec, id, jobsOf(jobs, names));
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

/** Waits (10 s at most) until a notification's stream holds events of `types`, in order. */
async function waitForStream(farm: PipelineFixture, id: string, types: readonly string[]): Promise<void> {
  const since = Date.now();
  while (JSON.stringify(await streamTypes(farm, id)) !== JSON.stringify(types)) {
    if (Date.now() - since > 10_000)
      assert.equal(await streamTypes(farm, id), types, `the stream of ${id} within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test(
  'reports each ended evaluation once, signed, with its new failures and fixed jobs',
  withTimeout(40_000, () =>
    withFarm([200], [50], async ({ farm, receiver, store, restart }) => {
      await farm.registerSpec(specNamed('told', { notifications: [{ kind: 'webhook', url: receiver.url }] }));
      await farm.registerSpec(specNamed('quiet'));
      const a = shDrv(store, { name: 'a', script: 'echo a > $out' });
      const b = shDrv(store, { name: 'b', script: 'exit 1' });
      await queuedEvaluation(farm, 'told', 'told-1', [a, b], ['a', 'b']);
      await substitute(farm, a);
      assert.is(receiver.requests.length, 0, 'not ended while a job waits for its build');

      await fail(farm, b);
      await receiver.received(1);
      const first = receiver.requests[0]!;
      const id = evaluationNotificationId('told-1', receiver.url);
      assert.is(first.headers['x-tally-notification-id'], id);
      assert.ok(
        verifyDetached(first.body, String(first.headers['x-tally-signature']), [key.publicKey]),
        'signed with the farm key',
      );
      const report = JSON.parse(first.body);
      assert.equal([report.spec, report.outcome, report.evaluation.id], ['told', 'failed', 'told-1']);
      assert.is(report.evaluation.counts.failed, 1);
      assert.equal(report.newFailures, [{ job: 'b', drvPath: b.drvPath, status: 'failed' }]);
      assert.equal(report.fixed, []);
      await waitForStream(farm, id, ['NotificationSent']);

      // The next evaluation fixes b: it is reported as fixed, compared with the first.
      const fixedB = shDrv(store, { name: 'b', script: 'echo b > $out' });
      await queuedEvaluation(farm, 'told', 'told-2', [a, fixedB], ['a', 'b']);
      await substitute(farm, fixedB);
      await receiver.received(2);
      const second = JSON.parse(receiver.requests[1]!.body);
      assert.equal([second.outcome, second.comparedWith], ['succeeded', 'told-1']);
      assert.equal(second.fixed, [{ job: 'b', drvPath: fixedB.drvPath, status: 'substituted' }]);
      assert.equal(second.newFailures, []);

      // A specification without targets is told nothing.
      const c = shDrv(store, { name: 'c', script: 'exit 1' });
      await queuedEvaluation(farm, 'quiet', 'quiet-1', [c], ['c']);
      await fail(farm, c);

      // A restarted notifier finds both reports sent and sends nothing again.
      await restart();
      assert.is(receiver.requests.length, 2);
    }),
  ),
);

test(
  'retries a delivery that failed, and a restarted notifier takes up the waiting retry',
  withTimeout(40_000, async () => {
    const refusing = await startReceiver([404]);
    try {
      await withFarm([503, 200], [1_500], async ({ farm, receiver, store, restart }) => {
        const targets = [
          { kind: 'webhook', url: receiver.url },
          { kind: 'webhook', url: refusing.url },
        ] as const;
        await farm.registerSpec(specNamed('flaky', { notifications: targets }));
        const a = shDrv(store, { name: 'a', script: 'exit 1' });
        await queuedEvaluation(farm, 'flaky', 'flaky-1', [a], ['a']);
        await fail(farm, a);
        await receiver.received(1);
        await refusing.received(1);
        const id = evaluationNotificationId('flaky-1', receiver.url);
        await waitForStream(farm, id, ['NotificationFailed']);
        const refused = evaluationNotificationId('flaky-1', refusing.url);
        await waitForStream(farm, refused, ['NotificationFailed']);
        const [given] = await collect(farm.events.readStream(streams.notification(refused)));
        const failure = given?.data as { reason: string; retryAt?: string } | undefined;
        assert.is(failure?.reason, 'rejected');
        assert.ok(failure && failure.retryAt === undefined, 'a refusal is not retried');

        // Stopped before the retry is due: the next notifier sends attempt 2 when it is.
        await restart();
        await receiver.received(2);
        assert.is(receiver.requests[1]!.headers['x-tally-attempt'], '2');
        await waitForStream(farm, id, ['NotificationFailed', 'NotificationSent']);
        assert.is(refusing.requests.length, 1, 'the refusing receiver is not asked again');
        assert.is(receiver.requests.length, 2, 'the first notifier did not retry after it stopped');
      });
    } finally {
      await refusing.close();
    }
  }),
);

test(
  'reports a long evaluation however many failed after it, and never an old failure to a target added since',
  withTimeout(40_000, () =>
    withFarm([200], [50], async ({ farm, receiver, store }) => {
      const spec = specNamed('late');
      await farm.registerSpec(spec);
      const slow = shDrv(store, { name: 'slow', script: 'echo > $out' });
      // Before any target: an evaluation that failed with its jobs recorded.
      await farm.failEvaluation('late', 'late-0', jobsOf([slow], ['slow']));
      await changeSpec(farm, { ...spec, notifications: [{ kind: 'webhook', url: receiver.url }] });
      await queuedEvaluation(farm, 'late', 'late-1', [slow], ['slow']);
      // Four pushes fail to evaluate while late-1 builds: each is reported.
      for (const n of [2, 3, 4, 5]) await farm.failEvaluation('late', `late-${n}`, []);
      await receiver.received(4);
      await substitute(farm, slow);
      await receiver.received(5);
      const reported = receiver.requests.map((request) => JSON.parse(request.body).evaluation.id);
      assert.equal(reported.sort(), ['late-1', 'late-2', 'late-3', 'late-4', 'late-5']);
      assert.equal(await streamTypes(farm, evaluationNotificationId('late-0', receiver.url)), []);
    }),
  ),
);

test(
  'reports after a restart what ended while it was stopped, though the spec changed since the request',
  withTimeout(40_000, () =>
    withFarm([200], [50], async ({ farm, receiver, store, stopNotifier, restart }) => {
      const spec = specNamed('down', { notifications: [{ kind: 'webhook', url: receiver.url }] });
      await farm.registerSpec(spec);
      const a = shDrv(store, { name: 'a', script: 'echo > $out' });
      await queuedEvaluation(farm, 'down', 'down-1', [a], ['a']);
      await stopNotifier();
      // While it is stopped: an unrelated change of the spec, then the last build ends.
      await changeSpec(farm, { ...spec, pollingPeriodSeconds: 600 });
      await substitute(farm, a);
      assert.is(receiver.requests.length, 0);
      await restart();
      await receiver.received(1);
      assert.is(JSON.parse(receiver.requests[0]!.body).evaluation.id, 'down-1');
    }),
  ),
);

test(
  'gives up a waiting retry to a target taken out of the specification',
  withTimeout(40_000, () =>
    withFarm([503], [1_000], async ({ farm, receiver }) => {
      const spec = specNamed('gone', { notifications: [{ kind: 'webhook', url: receiver.url }] });
      await farm.registerSpec(spec);
      await farm.failEvaluation('gone', 'gone-1', []);
      await receiver.received(1);
      const id = evaluationNotificationId('gone-1', receiver.url);
      await waitForStream(farm, id, ['NotificationFailed']);
      await changeSpec(farm, { ...spec, notifications: [] });
      await waitForStream(farm, id, ['NotificationFailed', 'NotificationFailed']);
      const [, last] = await collect(farm.events.readStream(streams.notification(id)));
      assert.equal(
        (({ reason, detail, retryAt }) => [reason, detail, retryAt])(last?.data as Record<string, unknown>),
        ['misconfigured', 'the target was removed from the specification', undefined],
      );
      assert.is(receiver.requests.length, 1, 'not asked again');
    }),
  ),
);

test.run();
