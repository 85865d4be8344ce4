import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type BuildEvent, buildDecider } from '../../../domain/build/index.ts';
import { fold, inSequence } from '../../../domain/shared/decider.ts';
import { givenFor } from '../given.ts';
import {
  at,
  base,
  cancelled,
  dispatched,
  drvPath,
  failed,
  output,
  queued,
  requeued,
  started,
  succeeded,
  timings,
  wanter,
  worker,
} from './fixtures.ts';

const given = givenFor(buildDecider);
const queue = {
  ...base,
  type: 'QueueBuild',
  system: 'x86_64-linux',
  wantedBy: [wanter],
  priority: 5,
  dependencies: [],
} as const;
const dispatch = { ...base, type: 'DispatchBuild', worker, attemptId: 'a1' } as const;
const substitute = {
  ...base,
  type: 'SubstituteBuild',
  from: 'https://cache.example.org',
  outputs: [output],
} as const;
const succeed = { ...base, type: 'SucceedBuild', attemptId: 'a1', outputs: [output], timings } as const;
const fail = {
  ...base,
  type: 'FailBuild',
  attemptId: 'a1',
  reason: { kind: 'exit-code', exitCode: 2 },
} as const;
const ignored = (
  attemptId: string,
  why: 'stale-attempt' | 'unknown-attempt',
  result: 'started' | 'succeeded' | 'failed',
): BuildEvent => ({
  type: 'BuildResultIgnored',
  data: { drvPath, attemptId, why, result },
});

const queueing = suite('queueing a build');

queueing('queues a new derivation, then records further wanters once', () => {
  given([]).when(queue).then([queued]);
  given([queued]).when(queue).thenNothing();
  const other = { spec: 'guix-staging', evaluation: 'e9', job: 'hello.x86_64-linux' };
  given([queued])
    .when({ ...queue, wantedBy: [wanter, other, other], priority: 1 })
    .then([{ type: 'BuildWanted', data: { drvPath, wantedBy: [other], priority: 1 } }]);
});

queueing('takes the highest priority of its wanters', () => {
  const wanted: BuildEvent = { type: 'BuildWanted', data: { drvPath, wantedBy: [], priority: 50 } };
  given([queued])
    .when({ ...queue, priority: 50 })
    .then([wanted]);
  const state = given([queued, wanted]).state;
  assert.is(state.status === 'queued' && state.priority, 50);
});

queueing('queues a cancelled build again for a new evaluation, not for those that wanted it then', () => {
  const later = { spec: 'guix', evaluation: 'e9', job: 'hello.x86_64-linux' };
  const sameEvaluation = { ...wanter, job: 'hello-alias.x86_64-linux' };
  given([queued, cancelled])
    .when({ ...queue, wantedBy: [sameEvaluation] })
    .then([{ type: 'BuildWanted', data: { drvPath, wantedBy: [sameEvaluation], priority: 5 } }]);
  const events = given([queued, cancelled])
    .when({ ...queue, actor: 'scheduler', wantedBy: [later] })
    .then([
      { type: 'BuildWanted', data: { drvPath, wantedBy: [later], priority: 5 } },
      {
        type: 'BuildRestarted',
        data: { drvPath, by: 'scheduler', why: 'wanted by evaluation e9 after it was cancelled' },
      },
    ]);
  assert.is(given([queued, cancelled, ...events]).state.status, 'queued');
  // Other endings stand: a failure is the derivation's, a success needs no second build.
  for (const end of [succeeded('a1'), failed('a1')])
    given([queued, dispatched('a1'), end])
      .when({ ...queue, wantedBy: [later] })
      .then([{ type: 'BuildWanted', data: { drvPath, wantedBy: [later], priority: 5 } }]);
});

queueing('substitutes a queued build; one already out or over needs nothing', () => {
  given([queued])
    .when(substitute)
    .then([{ type: 'BuildSubstituted', data: { drvPath, from: substitute.from, outputs: [output] } }]);
  given([queued, dispatched('a1')])
    .when(substitute)
    .thenNothing();
  given([queued, cancelled]).when(substitute).thenNothing();
  given([queued, { type: 'BuildSubstituted', data: { drvPath, from: substitute.from, outputs: [output] } }])
    .when(substitute)
    .thenNothing();
  given([]).when(substitute).thenThrows('TALLY_BUILD_NOT_FOUND');
});

queueing('a scheduler that lost the race to queue a substituted build still records its jobs', () => {
  const batch = inSequence(buildDecider);
  const first = batch.decide([queue, substitute], batch.initialState);
  const other = { spec: 'other', evaluation: 'other-1', job: 'hello' };
  const state = fold(buildDecider, first);
  assert.equal(batch.decide([{ ...queue, wantedBy: [other] }, substitute], state), [
    { type: 'BuildWanted', data: { drvPath, wantedBy: [other], priority: 5 } },
  ]);
});

const dispatching = suite('dispatching a build');

dispatching('sends a queued build to a worker of its system as attempt n+1', () => {
  given([queued])
    .when(dispatch)
    .then([dispatched('a1')]);
  given([queued, dispatched('a1'), requeued('a1')])
    .when({ ...dispatch, attemptId: 'a2' })
    .then([dispatched('a2', 2)]);
  given([queued])
    .when({ ...dispatch, worker: { name: 'm1', systems: ['aarch64-darwin'] } })
    .thenThrows('TALLY_BUILD_WRONG_SYSTEM');
});

dispatching('is idempotent for the same attempt, refused for a build already out', () => {
  given([queued, dispatched('a1')])
    .when(dispatch)
    .thenNothing();
  given([queued, dispatched('a1')])
    .when({ ...dispatch, attemptId: 'a2' })
    .thenThrows('TALLY_BUILD_NOT_QUEUED');
  given([queued, dispatched('a1'), requeued('a1')])
    .when(dispatch)
    .thenThrows('TALLY_BUILD_ATTEMPT_INVALID');
});

dispatching('waits for notBefore after a back-off', () => {
  const later = '2024-05-01T12:10:00Z';
  const history = [queued, dispatched('a1'), requeued('a1', later)];
  given(history)
    .when({ ...dispatch, attemptId: 'a2' })
    .thenThrows('TALLY_BUILD_NOT_READY');
  given(history)
    .when({ ...dispatch, attemptId: 'a2', at: later })
    .then([dispatched('a2', 2)]);
});

dispatching('never dispatches or starts a finished build', () => {
  for (const end of [succeeded('a1'), failed('a1'), cancelled]) {
    given([queued, dispatched('a1'), end])
      .when({ ...dispatch, attemptId: 'a2' })
      .thenThrows('TALLY_BUILD_ALREADY_FINISHED');
    // A late start of its last attempt is recorded as stale, like a late result, and changes nothing.
    given([queued, dispatched('a1'), end])
      .when({ ...base, type: 'StartBuild', attemptId: 'a1' })
      .then([ignored('a1', 'stale-attempt', 'started')]);
    const finished = given([queued, dispatched('a1'), end]).state;
    assert.is(buildDecider.evolve(finished, ignored('a1', 'stale-attempt', 'started')), finished);
  }
});

const attempts = suite('attempts');

attempts('start, succeed or fail once, fenced by the attempt id', () => {
  given([queued, dispatched('a1')])
    .when({ ...base, type: 'StartBuild', attemptId: 'a1' })
    .then([started('a1')]);
  given([queued, dispatched('a1'), started('a1')])
    .when({ ...base, type: 'StartBuild', attemptId: 'a1' })
    .thenNothing();
  given([queued, dispatched('a1'), started('a1')])
    .when(succeed)
    .then([succeeded('a1')]);
  given([queued, dispatched('a1')])
    .when(fail)
    .then([failed('a1')]);
  assert.is(given([queued, dispatched('a1'), started('a1')]).state.status, 'building');
});

attempts('record a result for a non-current attempt as ignored, changing nothing', () => {
  const history = [queued, dispatched('a1'), requeued('a1'), dispatched('a2', 2)];
  given(history)
    .when(succeed)
    .then([ignored('a1', 'stale-attempt', 'succeeded')]);
  given(history)
    .when({ ...fail, attemptId: 'zz' })
    .then([ignored('zz', 'unknown-attempt', 'failed')]);
  given(history)
    .when({ ...base, type: 'StartBuild', attemptId: 'a1' })
    .then([ignored('a1', 'stale-attempt', 'started')]);
  given([queued, dispatched('a1'), succeeded('a1')])
    .when(succeed)
    .then([ignored('a1', 'stale-attempt', 'succeeded')]);
  const before = given(history).state;
  assert.is(buildDecider.evolve(before, ignored('a1', 'stale-attempt', 'succeeded')), before);
});

attempts('keep the logs of any attempt the build had', () => {
  const log = {
    ...base,
    type: 'RecordBuildLog',
    attemptId: 'a1',
    logRef: 'sha256:log',
    bytes: 1234,
  } as const;
  const stored: BuildEvent = {
    type: 'BuildLogStored',
    data: { drvPath, attemptId: 'a1', logRef: 'sha256:log', bytes: 1234 },
  };
  given([queued, dispatched('a1'), requeued('a1'), dispatched('a2', 2)])
    .when(log)
    .then([stored]);
  given([queued, dispatched('a1'), failed('a1')])
    .when(log)
    .then([stored]);
  given([queued]).when(log).thenThrows('TALLY_BUILD_ATTEMPT_INVALID');
});

attempts('are requeued only while current', () => {
  const requeue = {
    ...base,
    type: 'RequeueBuild',
    attemptId: 'a1',
    why: 'worker-lost',
    notBefore: at,
  } as const;
  given([queued, dispatched('a1'), started('a1')])
    .when(requeue)
    .then([requeued('a1')]);
  given([queued, dispatched('a1'), requeued('a1')])
    .when(requeue)
    .thenThrows('TALLY_BUILD_ATTEMPT_INVALID');
  given([queued, dispatched('a1'), succeeded('a1')])
    .when(requeue)
    .thenThrows('TALLY_BUILD_ALREADY_FINISHED');
});

const people = suite('cancel, restart and failure without an attempt');

people('cancels an unfinished build and refuses to cancel a finished one', () => {
  const cancel = { ...base, actor: 'user:alice', type: 'CancelBuild' } as const;
  given([queued, dispatched('a1')])
    .when(cancel)
    .then([cancelled]);
  given([queued, dispatched('a1'), succeeded('a1')])
    .when(cancel)
    .thenThrows('TALLY_BUILD_ALREADY_FINISHED');
  given([queued, cancelled]).when(cancel).thenThrows('TALLY_BUILD_ALREADY_FINISHED');
});

people('restarts a finished build back to the queue, recording who asked', () => {
  const restart = { ...base, actor: 'user:bob', type: 'RestartBuild', why: 'flaky test' } as const;
  const restarted: BuildEvent = {
    type: 'BuildRestarted',
    data: { drvPath, by: 'user:bob', why: 'flaky test' },
  };
  for (const end of [succeeded('a1'), failed('a1'), cancelled]) {
    given([queued, dispatched('a1'), end])
      .when(restart)
      .then([restarted]);
    const state = given([queued, dispatched('a1'), end, restarted]).state;
    assert.is(state.status, 'queued');
    assert.is(state.status === 'queued' && state.attempts.length, 1);
  }
  given([queued]).when(restart).thenThrows('TALLY_BUILD_NOT_FINISHED');
  given([queued, dispatched('a1')])
    .when(restart)
    .thenThrows('TALLY_BUILD_NOT_FINISHED');
});

people('fails a queued build whose dependency failed, once', () => {
  const root = '/nix/store/0000000000000000000000000000000a-glibc.drv';
  const depFail = {
    ...base,
    actor: 'scheduler',
    type: 'FailBuild',
    reason: { kind: 'dependency-failed', root },
  } as const;
  const depFailed: BuildEvent = {
    type: 'BuildFailed',
    data: { drvPath, reason: { kind: 'dependency-failed', root } },
  };
  given([queued]).when(depFail).then([depFailed]);
  given([queued, depFailed]).when(depFail).thenThrows('TALLY_BUILD_ALREADY_FINISHED');
  // An attempt running holds the build: it ends with its own result, not with one sent past it.
  given([queued, dispatched('a1')])
    .when(depFail)
    .thenThrows('TALLY_BUILD_NOT_QUEUED');
  given([queued, dispatched('a1'), started('a1')])
    .when(depFail)
    .thenThrows('TALLY_BUILD_NOT_QUEUED');
});

queueing.run();
dispatching.run();
attempts.run();
people.run();
