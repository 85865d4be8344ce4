import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createRunQueue } from '../../../domain/scheduling/index.ts';
import { arm, queued, takeMany, x86 } from './fixtures.ts';

const none = new Map<string, number>();

const choosing = suite('RunQueue.next');

choosing('takes the highest priority first, however young', () => {
  const queue = createRunQueue();
  queue.add(queued('old-low', { priority: 1, queuedAt: 1 }));
  queue.add(queued('young-high', { priority: 9, queuedAt: 500 }));
  queue.add(queued('middle', { priority: 5, queuedAt: 2, specs: ['b'] }));
  assert.equal(
    takeMany(queue, 3).map((pick) => pick.drvPath),
    ['young-high', 'middle', 'old-low'],
  );
});

choosing('takes the oldest build of a specification, the path breaking ties', () => {
  const queue = createRunQueue();
  queue.add(queued('c', { queuedAt: 20 }));
  queue.add(queued('b', { queuedAt: 10 }));
  queue.add(queued('a', { queuedAt: 20 }));
  assert.equal(
    takeMany(queue, 3, { running: new Map([['a', 0]]) }).map((pick) => pick.drvPath),
    ['b', 'a', 'c'],
  );
});

choosing('alternates between two specifications of 1,000 builds each', () => {
  const queue = createRunQueue();
  for (let index = 0; index < 1000; index++) {
    queue.add(queued(`a${index}`, { specs: ['a'], queuedAt: index }));
    queue.add(queued(`b${index}`, { specs: ['b'], queuedAt: 5000 + index }));
  }
  const specs = takeMany(queue, 2000).map((pick) => pick.spec);
  assert.is(specs.length, 2000);
  for (const [index, spec] of specs.entries()) assert.is(spec, index % 2 === 0 ? 'a' : 'b', `pick ${index}`);
});

choosing('serves a third specification with one young build within the first picks', () => {
  const queue = createRunQueue();
  for (let index = 0; index < 1000; index++) {
    queue.add(queued(`a${index}`, { specs: ['a'], queuedAt: index }));
    queue.add(queued(`b${index}`, { specs: ['b'], queuedAt: index }));
  }
  queue.add(queued('lonely', { specs: ['c'], queuedAt: 99_999 }));
  const picks = takeMany(queue, 3).map((pick) => pick.drvPath);
  assert.ok(picks.includes('lonely'), `first picks: ${picks.join(', ')}`);
});

choosing('prefers the specification with fewer running builds, then the older oldest build', () => {
  const queue = createRunQueue();
  queue.add(queued('a-old', { specs: ['a'], queuedAt: 1 }));
  queue.add(queued('b-young', { specs: ['b'], queuedAt: 9 }));
  assert.is(queue.next({ systems: [x86] }, 0, new Map([['a', 2]]))?.drvPath, 'b-young');
  assert.is(
    queue.next(
      { systems: [x86] },
      0,
      new Map([
        ['a', 2],
        ['b', 2],
      ]),
    )?.drvPath,
    'a-old',
  );
});

choosing('counts a build wanted by several specifications against the one that picks it', () => {
  const queue = createRunQueue();
  queue.add(queued('shared', { specs: ['a', 'b'], queuedAt: 1 }));
  queue.add(queued('b-own', { specs: ['b'], queuedAt: 2 }));
  const first = queue.next({ systems: [x86] }, 0, new Map([['a', 3]]));
  assert.equal([first?.drvPath, first?.spec], ['shared', 'b']);
  queue.remove('shared');
  assert.is(queue.next({ systems: [x86] }, 0, none)?.drvPath, 'b-own');
  assert.is(queue.counts().runnable, 1, 'the shared build left both specifications');
});

choosing('gives a worker only builds of its systems, and builtin builds to every worker', () => {
  const queue = createRunQueue();
  queue.add(queued('arm', { system: arm, priority: 9 }));
  queue.add(queued('fetch', { system: 'builtin', queuedAt: 5 }));
  queue.add(queued('x', { queuedAt: 1 }));
  assert.is(queue.next({ systems: ['riscv64-linux'] }, 0, none)?.drvPath, 'fetch');
  assert.equal(
    takeMany(queue, 5).map((pick) => pick.drvPath),
    ['x', 'fetch'],
  );
  assert.is(queue.next({ systems: [x86] }, 0, none), undefined);
  assert.is(queue.next({ systems: [x86, arm] }, 0, none)?.drvPath, 'arm');
});

choosing('keeps a replaced build once, with its new priority and specifications', () => {
  const queue = createRunQueue();
  queue.add(queued('p', { priority: 1 }));
  queue.add(queued('q', { priority: 5, queuedAt: 1 }));
  queue.add(queued('p', { priority: 9, specs: ['a', 'b'] }));
  assert.is(queue.size(), 2);
  assert.equal(
    takeMany(queue, 5).map((pick) => pick.drvPath),
    ['p', 'q'],
  );
});

const deferring = suite('RunQueue deferred builds');

deferring('holds a build until its notBefore and says when to look again', () => {
  const queue = createRunQueue();
  queue.add(queued('later', { notBefore: 5000, queuedAt: 1 }));
  queue.add(queued('sooner', { notBefore: 3000, queuedAt: 2 }));
  assert.is(queue.next({ systems: [x86] }, 1000, none), undefined);
  assert.is(queue.nextDeferredAt(1000), 3000);
  assert.equal(queue.counts(), { queued: 2, runnable: 0, deferred: 2 });
  assert.is(queue.next({ systems: [x86] }, 3000, none)?.drvPath, 'sooner');
  assert.is(queue.nextDeferredAt(3000), 5000);
  assert.is(queue.next({ systems: [x86] }, 6000, none)?.drvPath, 'later');
  assert.is(queue.nextDeferredAt(6000), undefined);
});

deferring('puts a dispatched build back in its place after a requeue', () => {
  const queue = createRunQueue();
  queue.add(queued('first', { queuedAt: 1 }));
  queue.add(queued('second', { queuedAt: 2 }));
  assert.is(queue.remove('first')?.drvPath, 'first');
  assert.ok(queue.requeue('first', 2000));
  assert.is(queue.next({ systems: [x86] }, 1000, none)?.drvPath, 'second');
  queue.remove('second');
  assert.is(queue.nextDeferredAt(1000), 2000);
  const back = queue.next({ systems: [x86] }, 2000, none);
  assert.equal([back?.drvPath, back?.queuedAt], ['first', 1]);
  assert.not.ok(queue.requeue('never-seen', 0));
});

const dependencies = suite('RunQueue dependencies');

dependencies('unblocks a build once every dependency succeeded', () => {
  const queue = createRunQueue();
  queue.add(queued('lib'));
  queue.add(queued('app', { dependencies: ['lib', 'tool'], queuedAt: 0 }));
  assert.is(takeMany(queue, 1)[0]?.drvPath, 'lib');
  assert.is(queue.next({ systems: [x86] }, 0, none), undefined);
  assert.equal(queue.markSucceeded('lib'), []);
  assert.equal(
    queue.markSucceeded('tool').map((build) => build.drvPath),
    ['app'],
  );
  assert.is(queue.next({ systems: [x86] }, 0, none)?.drvPath, 'app');
  assert.equal(queue.markSucceeded('tool'), [], 'a second success changes nothing');
});

dependencies('counts a dependency declared succeeded before the build was added', () => {
  const queue = createRunQueue();
  queue.markSucceeded('lib');
  queue.add(queued('app', { dependencies: ['lib'] }));
  assert.is(queue.next({ systems: [x86] }, 0, none)?.drvPath, 'app');
});

dependencies('blocks dependents again when a succeeded build is queued again', () => {
  const queue = createRunQueue();
  queue.markSucceeded('lib');
  queue.add(queued('app', { dependencies: ['lib'] }));
  queue.add(queued('lib', { system: arm }));
  assert.is(queue.next({ systems: [x86] }, 0, none), undefined);
  assert.equal(
    queue.markSucceeded('lib').map((build) => build.drvPath),
    ['app'],
  );
  assert.not.ok(queue.has('lib'), 'a success takes the build out of the queue');
});

dependencies('fails every transitive dependent of a failed build, naming the root', () => {
  const queue = createRunQueue();
  queue.add(queued('root'));
  queue.add(queued('mid', { dependencies: ['root'] }));
  queue.add(queued('top', { dependencies: ['mid', 'other'] }));
  queue.add(queued('side', { dependencies: ['root'] }));
  queue.add(queued('bystander', { dependencies: ['other'] }));
  queue.remove('root');
  assert.equal(queue.markFailed('root'), [
    { drvPath: 'mid', root: 'root' },
    { drvPath: 'side', root: 'root' },
    { drvPath: 'top', root: 'root' },
  ]);
  assert.equal(queue.size(), 1);
  assert.ok(queue.has('bystander'));
  assert.not.ok(queue.requeue('root', 0), 'a failed build is forgotten');
});

dependencies('takes a cancelled queued build out along with its dependents', () => {
  const queue = createRunQueue();
  queue.add(queued('cancelled'));
  queue.add(queued('after', { dependencies: ['cancelled'] }));
  assert.equal(queue.markFailed('cancelled'), [{ drvPath: 'after', root: 'cancelled' }]);
  assert.is(queue.size(), 0);
});

choosing.run();
deferring.run();
dependencies.run();
