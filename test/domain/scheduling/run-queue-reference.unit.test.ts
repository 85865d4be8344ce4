import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createRunQueue, type QueuedBuild, type RunQueue } from '../../../domain/scheduling/index.ts';
import { arm, x86 } from './fixtures.ts';
import { createNaiveRunQueue } from './naive-run-queue.ts';

const paths = ['d0', 'd1', 'd2', 'd3', 'd4', 'd5', 'd6', 'd7', 'd8', 'd9'];
const drvPath = fc.constantFrom(...paths);
const spec = fc.constantFrom('s0', 's1', 's2');

const build: fc.Arbitrary<QueuedBuild> = fc.record(
  {
    drvPath,
    system: fc.constantFrom(x86, arm, 'builtin'),
    priority: fc.integer({ min: 0, max: 2 }),
    specs: fc.array(spec, { maxLength: 3 }),
    queuedAt: fc.integer({ min: 0, max: 5 }),
    notBefore: fc.integer({ min: 0, max: 12 }),
    // Mostly none: a random dependency blocks a build for the rest of most runs.
    dependencies: fc.oneof(
      { arbitrary: fc.constant([]), weight: 3 },
      { arbitrary: fc.array(drvPath, { minLength: 1, maxLength: 3 }), weight: 1 },
    ),
  },
  { requiredKeys: ['drvPath', 'system', 'priority', 'specs', 'queuedAt', 'dependencies'] },
);

type Operation =
  | { op: 'add'; build: QueuedBuild }
  | { op: 'remove' | 'markSucceeded' | 'markFailed'; drvPath: string }
  | { op: 'requeue'; drvPath: string; notBefore: number }
  | { op: 'next'; systems: string[]; advance: number; running: [string, number][] }
  | { op: 'nextDeferredAt'; advance: number };

const operation: fc.Arbitrary<Operation> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('add' as const), build }), weight: 4 },
  {
    arbitrary: fc.record({ op: fc.constantFrom('remove', 'markSucceeded', 'markFailed'), drvPath }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      op: fc.constant('requeue' as const),
      drvPath,
      notBefore: fc.integer({ min: 0, max: 30 }),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      op: fc.constant('next' as const),
      systems: fc.subarray([x86, arm, 'riscv64-linux']),
      advance: fc.integer({ min: 0, max: 4 }),
      running: fc.array(fc.tuple(spec, fc.integer({ min: 0, max: 3 })), { maxLength: 3 }),
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      op: fc.constant('nextDeferredAt' as const),
      advance: fc.integer({ min: 0, max: 4 }),
    }),
    weight: 1,
  },
);

/** Applies one operation; `now` never goes back, as the queue requires. */
function apply(queue: RunQueue, step: Operation, clock: { now: number }): unknown {
  switch (step.op) {
    case 'add':
      return queue.add(step.build);
    case 'remove':
      return queue.remove(step.drvPath);
    case 'markSucceeded':
      return queue.markSucceeded(step.drvPath);
    case 'markFailed':
      return queue.markFailed(step.drvPath);
    case 'requeue':
      return queue.requeue(step.drvPath, step.notBefore);
    case 'next':
      return queue.next({ systems: step.systems }, clock.now + step.advance, new Map(step.running));
    case 'nextDeferredAt':
      return queue.nextDeferredAt(clock.now + step.advance);
  }
}

const reference = suite('RunQueue against the naive reference');

reference('answers every operation as the scan over all builds does', () => {
  fc.assert(
    fc.property(fc.array(operation, { maxLength: 80 }), (steps) => {
      const fast = createRunQueue();
      const naive = createNaiveRunQueue();
      const clock = { now: 0 };
      for (const [index, step] of steps.entries()) {
        const expected = apply(naive, step, clock);
        const actual = apply(fast, step, clock);
        if ('advance' in step) clock.now += step.advance;
        assert.equal(actual, expected, `step ${index}: ${JSON.stringify(step)}`);
        assert.equal(fast.counts(), naive.counts(), `counts after step ${index}`);
      }
    }),
    { numRuns: 500 },
  );
});

reference.run();
