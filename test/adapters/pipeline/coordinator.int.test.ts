/**
 * The coordinator and specifications switched off and on, or removed, on a real ledger: what an inactive
 * specification's evaluation would have set off waits, and starts once the specification is active again;
 * a removed specification's evaluations are stopped and recorded aborted.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { handleCommand } from '../../../adapters/eventstore/command-handler.ts';
import { evaluationDecider } from '../../../domain/evaluation/index.ts';
import { streams } from '../../../domain/shared/streams.ts';
import { specificationDecider } from '../../../domain/specification/index.ts';
import { tempDir, withTimeout } from '../../helpers/uvu.ts';
import { shDrv } from '../builders/derivations.ts';
import { type PipelineFixture, specNamed, startPipelineFixture } from './pipeline-fixture.ts';

const test = suite('coordinator');

async function switchSpec(farm: PipelineFixture, name: string, type: 'Activate' | 'Deactivate') {
  const at = new Date().toISOString();
  const context = { cause: { kind: 'command', id: randomUUID() } as const, actor: 'user:test' as const, at };
  const handled = await handleCommand(
    farm.events,
    specificationDecider,
    streams.spec(name),
    { type: `${type}Specification`, name, actor: context.actor, at },
    context,
  );
  await farm.projections.waitFor(handled.position!, 10_000);
}

/** An evaluation queue that only records what the coordinator asks of it. */
function recordingEvaluations() {
  const enqueued: string[] = [];
  const cancelled: string[] = [];
  const evaluations = {
    enqueue: (request: { readonly evaluationId: string }) => {
      enqueued.push(request.evaluationId);
    },
    cancel: (evaluationId: string) => {
      cancelled.push(evaluationId);
    },
  };
  return { enqueued, cancelled, evaluations };
}

/** Records an evaluation of `spec` requested, as the poller would. */
async function requestEvaluation(farm: PipelineFixture, spec: string, evaluationId: string) {
  const at = new Date().toISOString();
  const command = {
    type: 'RequestEvaluation',
    evaluationId,
    spec,
    trigger: { kind: 'manual' },
    checkouts: [{ channel: 'main', url: '/nowhere', branch: 'main', commit: 'a'.repeat(40), commitTime: at }],
    actor: 'poller',
    at,
  } as const;
  await handleCommand(farm.events, evaluationDecider, streams.evaluation(evaluationId), command, {
    cause: { kind: 'command', id: randomUUID() },
    actor: 'poller',
    at,
  });
}

test(
  'schedules an evaluation that completed while its specification was off once it is activated again',
  withTimeout(30_000, async () => {
    const dir = await tempDir('tally-coordinator-');
    const farm = await startPipelineFixture();
    try {
      await farm.registerSpec(specNamed('paused'));
      await switchSpec(farm, 'paused', 'Deactivate');
      const made = shDrv(join(dir.path, 'store'), { name: 'paused-hello', script: 'echo hi > $out' });
      const job = {
        name: 'hello',
        system: 'x86_64-linux',
        drvPath: made.drvPath,
        outputs: { out: made.out },
      };
      await farm.completeEvaluation('paused', 'paused-1', [job]);
      await farm.coordinator.idle();
      assert.is(farm.build(made.drvPath), undefined, 'nothing queued for an inactive specification');

      await switchSpec(farm, 'paused', 'Activate');
      await farm.until((_state) => farm.build(made.drvPath) !== undefined, 'the build queued', 10_000);
      await farm.coordinator.idle();
      assert.equal(
        (await farm.buildEvents(made.drvPath)).map((event) => event.type),
        ['BuildQueued'],
      );
    } finally {
      await farm.stop();
      await dir.cleanup();
    }
  }),
);

test(
  'runs an evaluation requested while its specification was off once it is activated again',
  withTimeout(30_000, async () => {
    const enqueued: string[] = [];
    const farm = await startPipelineFixture({
      evaluations: { enqueue: (run) => enqueued.push(run.evaluationId), cancel: () => undefined },
    });
    try {
      await farm.registerSpec(specNamed('waiting'));
      await switchSpec(farm, 'waiting', 'Deactivate');
      const at = new Date().toISOString();
      const context = { cause: { kind: 'command', id: randomUUID() } as const, actor: 'poller' as const, at };
      const checkout = {
        channel: 'main',
        url: '/nowhere',
        branch: 'main',
        commit: 'a'.repeat(40),
        commitTime: at,
      };
      const handled = await handleCommand(
        farm.events,
        evaluationDecider,
        streams.evaluation('waiting-1'),
        {
          type: 'RequestEvaluation',
          evaluationId: 'waiting-1',
          spec: 'waiting',
          trigger: { kind: 'poll' },
          checkouts: [checkout],
          actor: 'poller',
          at,
        },
        context,
      );
      await farm.projections.waitFor(handled.position!, 10_000);
      assert.equal(enqueued, [], 'not run while the specification is off');

      await switchSpec(farm, 'waiting', 'Activate');
      assert.equal(enqueued, ['waiting-1']);
    } finally {
      await farm.stop();
    }
  }),
);

test(
  'an activation taking up two evaluations that want one new derivation records the jobs of both',
  withTimeout(30_000, async () => {
    const dir = await tempDir('tally-coordinator-');
    const farm = await startPipelineFixture();
    try {
      await farm.registerSpec(specNamed('branches'));
      await switchSpec(farm, 'branches', 'Deactivate');
      const made = shDrv(join(dir.path, 'store'), { name: 'shared', script: 'echo hi > $out' });
      const job = (name: string) => ({
        name,
        system: 'x86_64-linux',
        drvPath: made.drvPath,
        outputs: { out: made.out },
      });
      await farm.completeEvaluation('branches', 'branches-alpha', [job('alpha')]);
      await farm.completeEvaluation('branches', 'branches-beta', [job('beta')]);

      await switchSpec(farm, 'branches', 'Activate');
      await farm.until(() => farm.build(made.drvPath) !== undefined, 'the build queued', 10_000);
      await farm.coordinator.idle();
      const wanted = (await farm.buildEvents(made.drvPath)).flatMap(
        (event) => (event.data as { wantedBy?: Array<{ job: string }> }).wantedBy ?? [],
      );
      assert.equal(wanted.map((wanter) => wanter.job).sort(), ['alpha', 'beta']);
    } finally {
      await farm.stop();
      await dir.cleanup();
    }
  }),
);

test(
  'stops and records aborted the evaluations of a specification removed while they run',
  withTimeout(30_000, async () => {
    const { enqueued, cancelled, evaluations } = recordingEvaluations();
    const farm = await startPipelineFixture({ evaluations });
    try {
      await farm.registerSpec(specNamed('going'));
      await farm.registerSpec(specNamed('staying'));
      for (const spec of ['going', 'staying']) await requestEvaluation(farm, spec, `${spec}-1`);
      await farm.until(() => enqueued.length === 2, 'both evaluations handed to the evaluation queue');

      const at = new Date().toISOString();
      const removal = { type: 'RemoveSpecification', name: 'going', actor: 'user:test', at } as const;
      await handleCommand(farm.events, specificationDecider, streams.spec('going'), removal, {
        cause: { kind: 'command', id: randomUUID() },
        actor: 'user:test',
        at,
      });
      let last: { type: string; data: unknown } | undefined;
      for (let tries = 0; last?.type !== 'EvaluationAborted' && tries < 200; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        for await (const event of farm.events.readStream(streams.evaluation('going-1'))) last = event;
      }
      assert.equal(last, {
        ...last,
        type: 'EvaluationAborted',
        data: { evaluationId: 'going-1', by: 'scheduler', why: 'its specification going was removed' },
      });
      assert.equal(cancelled, ['going-1'], "only the removed specification's evaluation is stopped");
    } finally {
      await farm.stop();
    }
  }),
);

test(
  'stops the evaluations of a specification deactivated while they wait or run, and takes them up on activation',
  withTimeout(30_000, async () => {
    const { enqueued, cancelled, evaluations } = recordingEvaluations();
    const farm = await startPipelineFixture({ evaluations });
    try {
      await farm.registerSpec(specNamed('pausing'));
      await requestEvaluation(farm, 'pausing', 'pausing-1');
      await farm.until(() => enqueued.length === 1, 'the evaluation handed to the evaluation queue');

      await switchSpec(farm, 'pausing', 'Deactivate');
      assert.equal(cancelled, ['pausing-1'], 'stopped while the specification is off');
      await switchSpec(farm, 'pausing', 'Activate');
      assert.equal(enqueued, ['pausing-1', 'pausing-1'], 'taken up again once it is on');
    } finally {
      await farm.stop();
    }
  }),
);

test.run();
