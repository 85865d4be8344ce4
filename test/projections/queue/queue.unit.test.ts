import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { blockedBy, listQueue, queueProjection, queueSummary } from '../../../projections/queue/index.ts';
import {
  cancelled,
  dependencyFailed,
  dispatched,
  failed,
  queued,
  requeued,
  restarted,
  started,
  substituted,
  succeeded,
  wanted,
} from './builds.ts';
import { at, drv, givenFor, when } from './history.ts';

const given = givenFor(queueProjection);
const test = suite('queue read model');

const [libc, zlib, curl, git] = ['libc', 'zlib', 'curl', 'git'].map(drv) as [string, string, string, string];
const timings = { startedAt: at(1), finishedAt: at(2) };
const paths = (system: string, runnable?: boolean) => (state: Parameters<typeof listQueue>[0]) =>
  listQueue(state, { system, limit: 100, ...(runnable === undefined ? {} : { runnable }) }).items.map(
    (item) => item.drvPath,
  );

/** libc ← zlib ← curl ← git, and git also needs libc. */
const chain = [
  when(0, queued(libc)),
  when(0.1, queued(zlib, { dependencies: [libc] })),
  when(0.2, queued(curl, { dependencies: [zlib, libc] })),
  when(0.3, queued(git, { dependencies: [curl, libc] })),
];

test('a build waits on its unfinished dependencies and runs once each has outputs, in order', () => {
  const start = given(chain);
  start.then(paths('x86_64-linux', true), [libc]);
  start.then(paths('x86_64-linux', false), [zlib, curl, git]);
  start.then((s) => blockedBy(s, curl), {
    drvPath: curl,
    status: 'queued',
    waitingOn: [
      { drvPath: zlib, status: 'queued' },
      { drvPath: libc, status: 'queued' },
    ],
  });

  const libcBuilt = given([...chain, when(1, dispatched(libc)), when(2, succeeded(libc, timings))]);
  libcBuilt.then(paths('x86_64-linux', true), [zlib]);
  libcBuilt.then((s) => blockedBy(s, curl)?.waitingOn, [{ drvPath: zlib, status: 'queued' }]);

  const zlibSubstituted = given([
    ...chain,
    when(1, dispatched(libc)),
    when(2, succeeded(libc, timings)),
    when(3, substituted(zlib)),
  ]);
  zlibSubstituted.then(paths('x86_64-linux', true), [curl]);
  zlibSubstituted.then(paths('x86_64-linux', false), [git]);
  zlibSubstituted.then((s) => blockedBy(s, git)?.waitingOn, [{ drvPath: curl, status: 'queued' }]);
});

test('a dependency that already has outputs does not block a build queued later', () => {
  given([
    when(0, queued(libc)),
    when(1, substituted(libc)),
    when(2, queued(zlib, { dependencies: [libc] })),
  ]).then(paths('x86_64-linux', true), [zlib]);
});

test('a dependency not queued yet blocks as unknown until it gets outputs', () => {
  const history = [when(0, queued(zlib, { dependencies: [libc] }))];
  given(history).then((s) => blockedBy(s, zlib)?.waitingOn, [{ drvPath: libc, status: 'unknown' }]);
  given([...history, when(1, queued(libc)), when(2, substituted(libc))]).then(paths('x86_64-linux', true), [
    zlib,
  ]);
});

test('a failed dependency shows in blockedBy, and its dependency-failed dependents leave the queue', () => {
  const failedLibc = [...chain, when(1, dispatched(libc)), when(2, failed(libc))];
  given(failedLibc).then((s) => blockedBy(s, zlib)?.waitingOn, [{ drvPath: libc, status: 'failed' }]);
  const cascade = given([
    ...failedLibc,
    when(2, dependencyFailed(zlib, libc)),
    when(2, dependencyFailed(curl, libc)),
    when(2, dependencyFailed(git, libc)),
  ]);
  cascade.then(paths('x86_64-linux'), []);
  cascade.then((s) => queueSummary(s), { runnable: 0, deferred: 0, blocked: 0, lanes: [] });
  cascade.then((s) => blockedBy(s, git), { drvPath: git, status: 'failed', waitingOn: [] });
});

test('restarting a failed dependency and its dependents queues them again, blocked until it succeeds', () => {
  const history = [
    when(0, queued(libc)),
    when(0, queued(zlib, { dependencies: [libc] })),
    when(1, failed(libc, { kind: 'timed-out' }, undefined)),
    when(1, dependencyFailed(zlib, libc)),
    when(5, restarted(libc)),
    when(5, restarted(zlib)),
  ];
  given(history).then(paths('x86_64-linux', false), [zlib]);
  given([...history, when(6, dispatched(libc)), when(7, succeeded(libc, timings))]).then(
    (s) => listQueue(s, { system: 'x86_64-linux', limit: 10 }).items,
    [{ drvPath: zlib, system: 'x86_64-linux', priority: 5, queuedAt: at(5), runnable: true, waitingOn: [] }],
  );
});

test('restarting a dependency that succeeded makes its queued dependents, and later ones, wait for it again', () => {
  const history = [
    when(0, queued(libc)),
    when(0, queued(zlib, { dependencies: [libc] })),
    when(1, dispatched(libc)),
    when(2, succeeded(libc, timings)),
    when(3, restarted(libc)),
    when(4, queued(curl, { dependencies: [zlib, libc] })),
  ];
  const again = given(history);
  again.then(paths('x86_64-linux', true), [libc]);
  again.then((s) => blockedBy(s, zlib)?.waitingOn, [{ drvPath: libc, status: 'queued' }]);
  again.then(
    (s) => blockedBy(s, curl)?.waitingOn,
    [
      { drvPath: zlib, status: 'queued' },
      { drvPath: libc, status: 'queued' },
    ],
  );
  given([...history, when(5, dispatched(libc)), when(6, succeeded(libc, timings))]).then(
    paths('x86_64-linux', true),
    [zlib],
  );
});

test('a requeued build keeps its place but is deferred until notBefore', () => {
  const history = [
    when(0, queued(libc)),
    when(1, queued(zlib)),
    when(2, dispatched(libc)),
    when(3, started(libc, at(3))),
    when(4, requeued(libc, at(10))),
  ];
  const state = given(history);
  state.then(
    (s) =>
      listQueue(s, { system: 'x86_64-linux', limit: 10, runnable: true, now: at(5) }).items.map(
        (i) => i.drvPath,
      ),
    [zlib],
  );
  state.then((s) => listQueue(s, { system: 'x86_64-linux', limit: 1, now: at(5) }).items[0], {
    drvPath: libc,
    system: 'x86_64-linux',
    priority: 5,
    queuedAt: at(0),
    runnable: false,
    notBefore: at(10),
    waitingOn: [],
  });
  // Not runnable yet: listed among the builds that cannot run now.
  state.then(
    (s) =>
      listQueue(s, { system: 'x86_64-linux', limit: 10, runnable: false, now: at(5) }).items.map(
        (i) => i.drvPath,
      ),
    [libc],
  );
  state.then(
    (s) => queueSummary(s, { now: at(5) }).lanes,
    [{ system: 'x86_64-linux', priority: 5, runnable: 1, deferred: 1, blocked: 0 }],
  );
  state.then(
    (s) => queueSummary(s, { now: at(10) }).lanes,
    [{ system: 'x86_64-linux', priority: 5, runnable: 2, deferred: 0, blocked: 0 }],
  );
  state.then(
    (s) =>
      listQueue(s, { system: 'x86_64-linux', limit: 10, runnable: true, now: at(10) }).items.map(
        (i) => i.drvPath,
      ),
    [libc, zlib],
  );
  given([...history, when(11, dispatched(libc, 'w2', 'second', 2))]).then(
    (s) => queueSummary(s, { now: at(11) }).deferred,
    0,
  );
});

test('lists each system on its own, highest priority first, then oldest first, page by page', () => {
  const [a, b, c, d, arm] = ['a', 'b', 'c', 'd', 'arm'].map(drv) as [string, string, string, string, string];
  const state = given([
    when(0, queued(a, { priority: 1 })),
    when(1, queued(b, { priority: 9 })),
    when(2, queued(c, { priority: 1 })),
    when(3, queued(d, { priority: 9 })),
    when(4, queued(arm, { system: 'aarch64-linux', priority: 100 })),
  ]);
  state.then(paths('x86_64-linux'), [b, d, a, c]);
  state.then(paths('aarch64-linux'), [arm]);
  const first = listQueue(state.state, { system: 'x86_64-linux', limit: 3 });
  assert.equal(
    first.items.map((i) => i.drvPath),
    [b, d, a],
  );
  assert.ok(first.nextCursor);
  const second = listQueue(state.state, { system: 'x86_64-linux', limit: 3, cursor: first.nextCursor! });
  assert.equal(
    second.items.map((i) => i.drvPath),
    [c],
  );
  assert.is(second.nextCursor, undefined);
  assert.throws(() => listQueue(state.state, { system: 'x86_64-linux', limit: 3, cursor: 'nonsense' }));
  state.then((s) => queueSummary(s), {
    runnable: 5,
    deferred: 0,
    blocked: 0,
    lanes: [
      { system: 'aarch64-linux', priority: 100, runnable: 1, deferred: 0, blocked: 0 },
      { system: 'x86_64-linux', priority: 9, runnable: 2, deferred: 0, blocked: 0 },
      { system: 'x86_64-linux', priority: 1, runnable: 2, deferred: 0, blocked: 0 },
    ],
  });
  given([
    when(0, queued(a, { priority: 1 })),
    when(1, queued(b, { priority: 5 })),
    when(2, wanted(a, 7)),
  ]).then(paths('x86_64-linux'), [a, b], 'a job wanting the build at a higher priority moves it up');
});

test('cancelled, dispatched and finished builds leave the queue', () => {
  const state = given([
    when(0, queued(libc)),
    when(0, queued(zlib, { dependencies: [libc] })),
    when(0, queued(curl)),
    when(1, cancelled(zlib)),
    when(1, dispatched(curl)),
  ]);
  state.then(paths('x86_64-linux'), [libc]);
  state.then((s) => blockedBy(s, zlib), { drvPath: zlib, status: 'cancelled', waitingOn: [] });
  state.then((s) => blockedBy(s, curl)?.status, 'dispatched');
  state.then((s) => blockedBy(s, drv('never')), undefined);
});

test.run();
