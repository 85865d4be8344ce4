import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  type BuildCommand,
  type BuildEvent,
  type BuildState,
  buildDecider,
  isFinished,
} from '../../../domain/build/index.ts';
import { isDomainError } from '../../../domain/shared/errors.ts';
import { base, output, timings, wanter, worker } from './fixtures.ts';

const attemptId = fc.constantFrom('a1', 'a2', 'a3', 'a4');
const time = fc.constantFrom('2024-05-01T12:00:00Z', '2024-05-01T12:05:00Z', '2024-05-01T12:10:00Z');

const command: fc.Arbitrary<BuildCommand> = fc.oneof(
  fc
    .record({ type: fc.constant('QueueBuild' as const), priority: fc.integer({ min: 0, max: 9 }) })
    .map((c) => ({
      ...base,
      ...c,
      system: 'x86_64-linux',
      wantedBy: [wanter],
      dependencies: [],
    })),
  fc.constant<BuildCommand>({ ...base, type: 'SubstituteBuild', from: 'https://cache', outputs: [output] }),
  fc
    .record({ attemptId, at: time })
    .map((c): BuildCommand => ({ ...base, ...c, type: 'DispatchBuild', worker })),
  attemptId.map((id): BuildCommand => ({ ...base, type: 'StartBuild', attemptId: id })),
  attemptId.map(
    (id): BuildCommand => ({ ...base, type: 'RecordBuildLog', attemptId: id, logRef: 'l', bytes: 1 }),
  ),
  attemptId.map(
    (id): BuildCommand => ({ ...base, type: 'SucceedBuild', attemptId: id, outputs: [output], timings }),
  ),
  fc.option(attemptId, { nil: undefined }).map((id): BuildCommand => {
    const failure = { ...base, type: 'FailBuild' as const, reason: { kind: 'timed-out' as const } };
    return id === undefined ? failure : { ...failure, attemptId: id };
  }),
  fc.constant<BuildCommand>({ ...base, actor: 'user:alice', type: 'CancelBuild' }),
  fc.constant<BuildCommand>({ ...base, actor: 'user:bob', type: 'RestartBuild' }),
  fc
    .record({ attemptId, notBefore: time })
    .map((c): BuildCommand => ({ ...base, ...c, type: 'RequeueBuild', why: 'worker-lost' })),
);

/** Checks one step: the events decided in `before`, and the state they lead to. */
function checkStep(
  before: BuildState,
  events: readonly BuildEvent[],
  after: BuildState,
  settled: Set<string>,
): void {
  for (const event of events) {
    const current =
      before.status === 'dispatched' || before.status === 'building' ? before.current.attemptId : undefined;
    switch (event.type) {
      case 'BuildSucceeded':
      case 'BuildStarted':
      case 'BuildRequeued':
        assert.is(event.data.attemptId, current, `${event.type} for a non-current attempt`);
        break;
      case 'BuildFailed':
        if (event.data.attemptId !== undefined) assert.is(event.data.attemptId, current);
        break;
      case 'BuildDispatched':
        assert.is(before.status, 'queued');
        break;
      default:
        break;
    }
    if (event.type === 'BuildSucceeded' || (event.type === 'BuildFailed' && event.data.attemptId)) {
      const id = event.data.attemptId!;
      assert.not.ok(settled.has(id), `attempt ${id} ended twice`);
      settled.add(id);
    }
  }
  if (isFinished(before) && after.status !== before.status)
    assert.ok(
      events.some((event) => event.type === 'BuildRestarted'),
      'left a finished status without a restart',
    );
  if (after.status === 'none') return;
  assert.equal(
    after.attempts.map((attempt) => attempt.number),
    after.attempts.map((_, index) => index + 1),
  );
  assert.is(new Set(after.attempts.map((attempt) => attempt.attemptId)).size, after.attempts.length);
  if (after.status === 'dispatched' || after.status === 'building')
    assert.equal(after.current, after.attempts.at(-1));
}

const history = suite('any build history');

history('never reaches an impossible state, and ends each attempt at most once', () => {
  fc.assert(
    fc.property(fc.array(command, { maxLength: 40 }), (commands) => {
      let state = buildDecider.initialState;
      const settled = new Set<string>();
      for (const next of commands) {
        let events: readonly BuildEvent[];
        try {
          events = buildDecider.decide(next, state);
        } catch (error) {
          if (!isDomainError(error)) throw error;
          continue;
        }
        const after = events.reduce(buildDecider.evolve, state);
        checkStep(state, events, after, settled);
        state = after;
      }
    }),
    { numRuns: 500 },
  );
});

history.run();
