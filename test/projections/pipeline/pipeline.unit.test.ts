import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { BuildEvent } from '../../../domain/build/events.ts';
import type { TallyEvent } from '../../../domain/events.ts';
import { epochMs } from '../../../domain/shared/time.ts';
import {
  type PipelineBuild,
  type PipelineState,
  pipelineProjection,
} from '../../../projections/pipeline/index.ts';
import { entriesOf } from '../../../projections/shared/persistent-map.ts';
import {
  cancelled,
  dispatched,
  failed,
  queued,
  requeued,
  restarted,
  started,
  substituted,
  succeeded,
  wanted,
} from '../queue/builds.ts';
import { at, drv, fold, project, type Timed, when } from '../queue/history.ts';

const test = suite('pipeline projection');

/** The obvious model of a build's record: every event spreads the previous record. */
function modelBuild(
  build: PipelineBuild | undefined,
  event: BuildEvent,
  time: string,
): PipelineBuild | undefined {
  const settled = (b: PipelineBuild, status: PipelineBuild['status']): PipelineBuild => {
    const { attemptId: _a, worker: _w, notBefore: _n, ...rest } = b;
    return { ...rest, status };
  };
  const specs = (list: readonly string[], wanters: readonly { spec: string }[]) => {
    const all = [...list];
    for (const { spec } of wanters) if (!all.includes(spec)) all.push(spec);
    return all;
  };
  if (event.type === 'BuildQueued') {
    const { system, priority, dependencies, wantedBy } = event.data;
    const queuedAt = epochMs(time);
    return {
      status: 'queued',
      system,
      priority,
      dependencies,
      specs: specs([], wantedBy),
      queuedAt,
      attempts: 0,
      retries: 0,
    };
  }
  if (!build) return build;
  switch (event.type) {
    case 'BuildWanted':
      return {
        ...build,
        priority: Math.max(build.priority, event.data.priority),
        specs: specs(build.specs, event.data.wantedBy),
      };
    case 'BuildDispatched': {
      const { notBefore: _n, ...rest } = build;
      const { worker, attemptId, attempt } = event.data;
      return { ...rest, status: 'dispatched', worker, attemptId, attempts: attempt };
    }
    case 'BuildStarted':
      return build.attemptId === event.data.attemptId ? { ...build, status: 'building' } : build;
    case 'BuildFailed':
      return { ...settled(build, 'failed'), failure: event.data.reason };
    case 'BuildRestarted': {
      const { failure: _f, ...rest } = settled(build, 'queued');
      return { ...rest, queuedAt: epochMs(time), retries: 0 };
    }
    case 'BuildRequeued':
      return {
        ...settled(build, 'queued'),
        notBefore: epochMs(event.data.notBefore),
        retries: event.data.why === 'coordinator-restart' ? build.retries : build.retries + 1,
      };
    case 'BuildSucceeded':
    case 'BuildSubstituted':
    case 'BuildCancelled':
      return settled(
        build,
        event.type === 'BuildSucceeded'
          ? 'succeeded'
          : event.type === 'BuildSubstituted'
            ? 'substituted'
            : 'cancelled',
      );
    default:
      return build;
  }
}

function modelBuilds(history: readonly Timed[]): Map<string, PipelineBuild> {
  const builds = new Map<string, PipelineBuild>();
  for (const { event, at: time } of history) {
    if (!event.type.startsWith('Build')) continue;
    const build = event as BuildEvent;
    const next = modelBuild(builds.get(build.data.drvPath), build, time);
    if (next) builds.set(build.data.drvPath, next);
  }
  return builds;
}

const buildsOf = (state: PipelineState) => new Map(entriesOf(state.builds));

test('records every step of a build as the spread-based model does', () => {
  const b = drv('b');
  const history = [
    when(0, queued(b, { priority: 3 })),
    when(1, wanted(b, 7, 'other')),
    when(2, wanted(b, 1, 'main')),
    when(3, dispatched(b)),
    when(4, started(b, at(4))),
    when(5, requeued(b, at(9))),
    when(10, dispatched(b, 'w2', 'second', 2)),
    when(11, failed(b, { kind: 'exit-code', exitCode: 2 }, 'second')),
    when(12, restarted(b)),
    when(13, dispatched(b, 'w1', 'third', 3)),
    when(14, succeeded(b, { startedAt: at(13), finishedAt: at(14) }, 'third')),
  ];
  const record = buildsOf(fold(pipelineProjection, history)).get(b);
  assert.equal(record, modelBuilds(history).get(b));
  assert.equal(record, {
    status: 'succeeded',
    system: 'x86_64-linux',
    priority: 7,
    dependencies: [],
    specs: ['main', 'other'],
    queuedAt: epochMs(at(12)),
    attempts: 3,
    retries: 0,
  });
});

/** Build events in any order (the projection must not assume a valid history either): a few builds, attempts and specs. */
const anyBuildEvents: fc.Arbitrary<Timed[]> = fc
  .array(fc.tuple(fc.nat(12), fc.nat(2), fc.nat(5), fc.nat(30)), { maxLength: 60 })
  .map((steps) => {
    let minute = 0;
    return steps.map(([kind, target, choice, gap]) => {
      minute += gap;
      const b = drv(`p${target}`);
      const attempt = `${b}#${choice % 2}`;
      const events: BuildEvent[] = [
        queued(b, {
          priority: choice,
          spec: `spec${choice % 3}`,
          system: choice % 2 ? 'aarch64-linux' : 'x86_64-linux',
        }),
        wanted(b, choice, `spec${choice % 4}`),
        dispatched(b, `w${choice % 2}`, attempt, choice + 1),
        started(b, at(minute), attempt),
        succeeded(b, { startedAt: at(0), finishedAt: at(minute) }, attempt),
        substituted(b),
        failed(b, { kind: 'exit-code', exitCode: choice }, attempt),
        failed(b, { kind: 'dependency-failed', root: drv('p0') }, undefined),
        cancelled(b),
        restarted(b),
        requeued(b, at(minute + choice), attempt),
        {
          type: 'BuildRequeued',
          data: { drvPath: b, attemptId: attempt, why: 'coordinator-restart', notBefore: at(minute) },
        },
        { type: 'BuildLogStored', data: { drvPath: b, attemptId: attempt, logRef: 'x', bytes: 1 } },
      ];
      return when(minute, events[kind]!);
    });
  });

test('folds build events in any order to the records of the model, and the same from a JSON snapshot half way', () => {
  fc.assert(
    fc.property(anyBuildEvents, (history) => {
      const state = fold(pipelineProjection, history);
      assert.equal(buildsOf(state), modelBuilds(history));
      assert.equal(JSON.parse(JSON.stringify(state)), state);
      const half = Math.floor(history.length / 2);
      let resumed = JSON.parse(
        JSON.stringify(fold(pipelineProjection, history.slice(0, half))),
      ) as PipelineState;
      for (const projected of project(history).slice(half))
        if (pipelineProjection.canHandle(projected.event.type))
          resumed = pipelineProjection.evolve(resumed, projected as never);
      assert.equal(buildsOf(resumed), buildsOf(state));
    }),
    { numRuns: 500 },
  );
});

test('builds wanted by the same specifications share one list, and a list already held is never changed', () => {
  const [a, b] = [drv('a'), drv('b')];
  const first = fold(pipelineProjection, [when(0, queued(a)), when(0, queued(b))]);
  const shared = buildsOf(first).get(a)!.specs;
  assert.is(buildsOf(first).get(b)!.specs, shared);
  const later = fold(pipelineProjection, [
    when(0, queued(a)),
    when(0, queued(b)),
    when(1, wanted(a, 5, 'other')),
  ]);
  assert.equal(buildsOf(later).get(a)!.specs, ['main', 'other']);
  assert.equal(shared, ['main'], 'the list held by the earlier state');
  assert.equal(buildsOf(later).get(b)!.specs, ['main']);
});

const evaluation = (type: string, data: Record<string, unknown>) => ({ type, data }) as unknown as TallyEvent;

test('keeps an evaluation until its jobs are all scheduled, in the order evaluations were requested', () => {
  const requested = (id: string) =>
    evaluation('EvaluationRequested', {
      evaluationId: id,
      spec: 'main',
      trigger: { kind: 'poll' },
      checkouts: [],
    });
  const history: Timed[] = [
    when(0, requested('e1')),
    when(0, requested('e2')),
    when(
      1,
      evaluation('EvaluationStarted', {
        evaluationId: 'e1',
        evaluator: { kind: 'native', entry: 'x' },
        startedAt: at(1),
      }),
    ),
    when(2, evaluation('EvaluationCompleted', { evaluationId: 'e1', jobCount: 2, durationMs: 5 })),
    when(3, queued(drv('a'))),
  ];
  const state = fold(pipelineProjection, history);
  assert.equal(Object.keys(state.evaluations), ['e1', 'e2'], 'e1 keeps its place while it changes');
  assert.equal(state.evaluations.e1, {
    spec: 'main',
    checkouts: [],
    status: 'completed',
    scheduledJobs: 1,
    jobCount: 2,
  });
  const done = fold(pipelineProjection, [
    ...history,
    when(4, substituted(drv('a'))),
    when(4, queued(drv('b'))),
  ]);
  assert.equal(Object.keys(done.evaluations), ['e2']);
});

test("drops a removed specification's unfinished evaluations, and only its own", () => {
  const requested = (id: string, spec: string) =>
    evaluation('EvaluationRequested', { evaluationId: id, spec, trigger: { kind: 'poll' }, checkouts: [] });
  const removed = { type: 'SpecificationRemoved', data: { name: 'old', by: 'user:alice' } } as TallyEvent;
  const state = fold(pipelineProjection, [
    when(0, requested('e1', 'old')),
    when(0, requested('e2', 'kept')),
    when(1, evaluation('EvaluationCompleted', { evaluationId: 'e1', jobCount: 3, durationMs: 5 })),
    when(2, requested('e3', 'old')),
    when(3, removed),
    // A late fact of a dropped evaluation brings nothing back.
    when(
      4,
      evaluation('EvaluationStarted', {
        evaluationId: 'e3',
        evaluator: { kind: 'native', entry: 'x' },
        startedAt: at(4),
      }),
    ),
  ]);
  assert.equal(Object.keys(state.evaluations), ['e2']);
});

test.run();
