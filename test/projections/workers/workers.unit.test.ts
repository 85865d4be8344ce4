import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { WorkerEvent } from '../../../domain/worker/events.ts';
import { getWorker, listWorkers, workersProjection } from '../../../projections/workers/index.ts';
import { recentCapacity } from '../../../projections/workers/state.ts';
import { cancelled, dispatched, failed, queued, requeued, started, succeeded } from '../queue/builds.ts';
import { at, drv, fold, givenFor, type Timed, when } from '../queue/history.ts';
import { randomHistory } from '../queue/random-history.ts';

const given = givenFor(workersProjection);
const test = suite('workers read model');

const capabilities = {
  systems: ['x86_64-linux'],
  cores: 8,
  memoryBytes: 2 ** 34,
  diskBytes: 2 ** 40,
  version: '0.1.0',
};
const registered = (name: string, version = '0.1.0'): WorkerEvent => ({
  type: 'WorkerRegistered',
  data: { name, ...capabilities, version },
});
const life = (type: 'WorkerConnected' | 'WorkerDisconnected', name = 'w1'): WorkerEvent => ({
  type,
  data: { name },
});
const lost = (name = 'w1'): WorkerEvent => ({ type: 'WorkerLost', data: { name, lastSeenAt: at(0) } });
const drained = (name = 'w1'): WorkerEvent => ({ type: 'WorkerDrained', data: { name, by: 'user:alice' } });
const resumed = (name = 'w1'): WorkerEvent => ({ type: 'WorkerResumed', data: { name, by: 'user:alice' } });
const removed = (name = 'w1'): WorkerEvent => ({ type: 'WorkerRemoved', data: { name, by: 'user:alice' } });

const [hello, zlib, curl] = ['hello', 'zlib', 'curl'].map(drv) as [string, string, string];
const online = [when(0, registered('w1')), when(1, life('WorkerConnected'))];

test('follows a worker through connect, drain, resume, loss, removal and a new registration', () => {
  const status = (history: Timed[]) => given(history).state;
  const of = (history: Timed[]) => getWorker(status(history), 'w1');
  assert.is(of([online[0]!])?.status, 'disconnected');
  assert.is(of(online)?.status, 'connected');
  assert.is(of([...online, when(2, drained())])?.status, 'drained');
  assert.is(of([...online, when(2, drained()), when(3, resumed())])?.status, 'connected');
  assert.is(of([...online, when(2, lost())])?.status, 'lost');
  assert.is(of([...online, when(2, life('WorkerDisconnected'))])?.status, 'disconnected');
  assert.is(of([...online, when(2, removed())])?.status, 'removed');
  const back = of([...online, when(2, drained()), when(3, removed()), when(4, registered('w1', '0.2.0'))]);
  assert.is(back?.status, 'disconnected', 'registered again, not drained any more');
  assert.is(back?.version, '0.2.0');
  assert.is(back?.lastContact, at(4));
  assert.is(getWorker(status(online), 'nobody'), undefined);
});

test('keeps capabilities and lists workers by name', () => {
  given([when(0, registered('w2')), ...online]).then(
    (s) => listWorkers(s).map((w) => [w.name, w.status, w.cores, w.systems]),
    [
      ['w1', 'connected', 8, ['x86_64-linux']],
      ['w2', 'disconnected', 8, ['x86_64-linux']],
    ],
  );
});

test('shows the attempts a worker runs now, and drops each when it ends however it ends', () => {
  const running = [
    ...online,
    when(2, queued(hello)),
    when(2, queued(zlib)),
    when(2, queued(curl)),
    when(3, dispatched(hello)),
    when(4, started(hello, at(4))),
    when(5, dispatched(zlib)),
    when(5, dispatched(curl)),
  ];
  given(running).then(
    (s) => getWorker(s, 'w1')?.current,
    [
      { drvPath: hello, attemptId: `${hello}#1`, attempt: 1, dispatchedAt: at(3), startedAt: at(4) },
      { drvPath: zlib, attemptId: `${zlib}#1`, attempt: 1, dispatchedAt: at(5) },
      { drvPath: curl, attemptId: `${curl}#1`, attempt: 1, dispatchedAt: at(5) },
    ],
  );
  given([
    ...running,
    when(6, succeeded(hello, { startedAt: at(4), finishedAt: at(6) })),
    when(7, failed(zlib)),
    when(8, cancelled(curl)),
  ]).then(
    (s) => [getWorker(s, 'w1')?.current, getWorker(s, 'w1')?.lastContact],
    [[], at(7)],
    "the last word from the worker is its failure: a user's cancel is not contact",
  );
  const lostAt5 = { type: 'WorkerLost', data: { name: 'w1', lastSeenAt: at(5) } } as const;
  const whenLost = given([...running, when(9, lostAt5)]);
  whenLost.then(
    (s) => getWorker(s, 'w1')?.current,
    [],
    "a lost worker's attempts are given up at once, before the dispatcher requeues them",
  );
  whenLost.then(
    (s) => [getWorker(s, 'w1')?.lastContact, getWorker(s, 'w1')?.connection],
    [at(5), 'lost'],
    'last contact is when it was last heard from, not when the loss was noticed',
  );
  given([...running, when(9, lostAt5), when(40, requeued(hello, at(41)))]).then(
    (s) => getWorker(s, 'w1')?.lastContact,
    at(5),
    "the dispatcher's requeue is not word from the worker either",
  );
  given([...running, when(6, removed())]).then((s) => getWorker(s, 'w1')?.current, []);
});

test('measures busy time over the last hour and day from attempt intervals, overlaps counted once', () => {
  // hello: minutes 0–30 of the day before; zlib 100–160 and curl 130–190 overlap by 30 minutes.
  const day = 24 * 60;
  const state = given([
    ...online,
    when(1, queued(hello)),
    when(1, queued(zlib)),
    when(1, queued(curl)),
    when(1, dispatched(hello)),
    when(1, started(hello, at(1))),
    when(31, succeeded(hello, { startedAt: at(1), finishedAt: at(31) })),
    when(day + 100, dispatched(zlib)),
    when(day + 100, started(zlib, at(day + 100))),
    when(day + 130, dispatched(curl)),
    when(day + 130, started(curl, at(day + 130))),
    when(day + 160, succeeded(zlib, { startedAt: at(day + 100), finishedAt: at(day + 160) })),
  ]).state;
  const now = at(day + 190);
  const worker = getWorker(state, 'w1', { now })!;
  // Last hour (130–190): curl still running the whole hour, zlib 130–160.
  assert.equal(worker.utilisation.lastHour, {
    windowMs: 3_600_000,
    busyMs: 3_600_000,
    ratio: 1,
    attemptMs: 90 * 60_000,
    complete: true,
  });
  // Last day (190 of the previous day onwards): hello is out; zlib 100–160 ∪ curl 130–190 = 90 minutes.
  assert.equal(worker.utilisation.lastDay, {
    windowMs: 86_400_000,
    busyMs: 90 * 60_000,
    ratio: (90 * 60_000) / 86_400_000,
    attemptMs: 120 * 60_000,
    complete: true,
  });
  const earlier = getWorker(state, 'w1', { now: at(61) })!;
  assert.is(earlier.utilisation.lastHour.busyMs, 30 * 60_000, 'hello, 1–31, within the hour up to minute 61');
});

test('keeps a bounded ring of recent attempts', () => {
  const history: Timed[] = [...online];
  for (let i = 0; i < recentCapacity + 50; i++) {
    const path = drv(`b${i}`);
    history.push(
      when(2 + i, queued(path)),
      when(2 + i, dispatched(path)),
      when(2 + i, started(path, at(2 + i))),
    );
    history.push(when(2.5 + i, succeeded(path, { startedAt: at(2 + i), finishedAt: at(2.5 + i) })));
  }
  const state = fold(workersProjection, history);
  const record = getWorker(state, 'w1');
  assert.is(record?.utilisation.lastHour.busyMs, 60 * 30_000);
  assert.ok(record?.utilisation.lastDay.complete === false, 'older attempts fell out of the ring');
  const raw = JSON.parse(JSON.stringify(state));
  assert.ok(JSON.stringify(raw).length < 200_000);
});

test('folding random valid histories never throws and survives a JSON round trip', () => {
  fc.assert(
    fc.property(randomHistory(), (history) => {
      const state = fold(workersProjection, history);
      assert.equal(JSON.parse(JSON.stringify(state)), state);
      for (const worker of listWorkers(state)) {
        assert.ok(worker.utilisation.lastDay.ratio >= 0 && worker.utilisation.lastDay.ratio <= 1);
        if (worker.status === 'removed') assert.equal(worker.current, []);
      }
    }),
    { numRuns: 300 },
  );
});

test.run();
