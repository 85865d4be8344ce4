import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createRunQueue, type QueuedBuild, type RunQueue } from '../../../domain/scheduling/index.ts';
import { arm, x86 } from './fixtures.ts';

type Status = 'queued' | 'succeeded' | 'failed';

/** A random farm: build i depends only on lower-numbered builds, so the graph has no cycle. */
const farm = fc.integer({ min: 1, max: 25 }).chain((count) =>
  fc.tuple(
    fc.tuple(
      ...Array.from({ length: count }, (_, index) =>
        fc.record({
          build: fc.record({
            drvPath: fc.constant(`d${String(index).padStart(2, '0')}`),
            system: fc.constantFrom(x86, arm, 'builtin'),
            priority: fc.integer({ min: 0, max: 2 }),
            specs: fc.subarray(['s0', 's1', 's2']),
            queuedAt: fc.integer({ min: 0, max: 9 }),
            dependencies: fc
              .subarray(
                Array.from({ length: index }, (_, lower) => lower),
                { maxLength: Math.min(3, index) },
              )
              .map((lowers) => lowers.map((lower) => `d${String(lower).padStart(2, '0')}`)),
          }) as fc.Arbitrary<QueuedBuild>,
          status: fc.constantFrom<Status>('queued', 'queued', 'succeeded', 'failed'),
        }),
      ),
    ),
    fc.array(fc.nat(), { minLength: count, maxLength: count }),
  ),
);

/** Dispatches and succeeds builds until nothing is runnable; returns the order and the leftovers. */
function drain(queue: RunQueue): string[] {
  const order: string[] = [];
  const running = new Map<string, number>();
  for (let pick = queue.next({ systems: [x86, arm] }, 0, running); pick; ) {
    order.push(`${pick.drvPath}/${pick.spec}`);
    queue.remove(pick.drvPath);
    running.set(pick.spec, (running.get(pick.spec) ?? 0) + 1);
    queue.markSucceeded(pick.drvPath);
    pick = queue.next({ systems: [x86, arm] }, 0, running);
  }
  return [...order, `left ${queue.size()}`];
}

const rebuild = suite('RunQueue rebuilt from the read state');

rebuild('in any order, ends up as the queue that followed the events', () => {
  fc.assert(
    fc.property(farm, ([builds, shuffleKeys]) => {
      // Following the events: every build queued, then the finished ones finish, dependencies first.
      const live = createRunQueue();
      for (const { build } of builds) live.add(build);
      const liveDoomed: string[] = [];
      for (const { build, status } of builds) {
        if (status === 'succeeded') live.markSucceeded(build.drvPath);
        if (status === 'failed')
          liveDoomed.push(...live.markFailed(build.drvPath).map((doom) => doom.drvPath));
      }

      // At start: the state's builds in a shuffled order, queued ones added and succeeded ones
      // declared, then every failed one failing its dependents (as the dispatcher resumes).
      const rebuilt = createRunQueue();
      const shuffled = builds
        .map((entry, index) => ({ entry, key: shuffleKeys[index]! }))
        .sort((a, b) => a.key - b.key)
        .map(({ entry }) => entry);
      const finalStatus = new Map<string, Status>(builds.map(({ build, status }) => [build.drvPath, status]));
      for (const path of liveDoomed) finalStatus.set(path, 'failed');
      for (const { build } of shuffled) {
        const status = finalStatus.get(build.drvPath);
        if (status === 'queued') rebuilt.add(build);
        if (status === 'succeeded') rebuilt.markSucceeded(build.drvPath);
      }
      for (const { build } of shuffled) {
        if (finalStatus.get(build.drvPath) === 'failed') rebuilt.markFailed(build.drvPath);
      }

      assert.equal(rebuilt.counts(), live.counts());
      assert.equal(drain(rebuilt), drain(live));
    }),
    { numRuns: 300 },
  );
});

rebuild.run();
