/**
 * A seeded run-queue workload shaped like a busy farm: 100,000 queued builds of which 1,000 are
 * runnable (plus a few deferred by a backoff), 20 specifications of skewed sizes (two of them at
 * a higher priority), 3 systems, one build in ten wanted by two specifications. Every other build
 * waits on one to three other queued builds, so it stays blocked for the whole run.
 */
import type { QueuedBuild, WorkerSystems } from '../../../domain/scheduling/index.ts';
import { seededRandom } from '../../../test/fixtures/seeded-random.ts';

export const shape = { queued: 100_000, runnable: 1_000, deferred: 50, specs: 20 } as const;

const systems = ['x86_64-linux', 'aarch64-linux', 'x86_64-darwin'] as const;
const systemWeights = [0.5, 0.3, 0.2];
/** Workers ask in turn: one of each system, and one building two. */
export const workers: readonly WorkerSystems[] = [
  { systems: ['x86_64-linux'] },
  { systems: ['aarch64-linux'] },
  { systems: ['x86_64-darwin'] },
  { systems: ['x86_64-linux', 'aarch64-linux'] },
];
/** The clock when the run starts: initial builds were queued during the hour before. */
export const startedAt = 3_600_000;

export interface QueueWorkload {
  /** Every initial build, in the order to add them (dependents may come before their dependencies). */
  readonly initial: readonly QueuedBuild[];
  /** A new runnable build of the same system as `taken`, to keep the queue full. */
  replacement(taken: QueuedBuild, now: number): QueuedBuild;
}

/** The same `seed` gives the same builds and the same replacements, whichever queue consumes them. */
export function syntheticQueue(seed: number): QueueWorkload {
  const random = seededRandom(seed);
  const specWeights = Array.from({ length: shape.specs }, (_, index) => 1 / (index + 1));
  const weighted = <T>(items: readonly T[], weights: readonly number[]): T => {
    let left = random.next() * weights.reduce((sum, weight) => sum + weight, 0);
    for (const [index, item] of items.entries()) {
      left -= weights[index]!;
      if (left < 0) return item;
    }
    return items.at(-1)!;
  };
  const specNames = Array.from({ length: shape.specs }, (_, index) => `spec-${index}`);
  const priorityOf = (spec: string) => (spec === 'spec-0' || spec === 'spec-1' ? 200 : 100);
  let serial = 0;

  function build(system: string, queuedAt: number, dependencies: readonly string[]): QueuedBuild {
    const index = serial++;
    const first = weighted(specNames, specWeights);
    const second = random.next() < 0.1 ? random.pick(specNames) : first;
    const specs = second === first ? [first] : [first, second];
    return {
      drvPath: `/nix/store/${index.toString(36).padStart(32, '0')}-build-${index}.drv`,
      system,
      priority: Math.max(...specs.map(priorityOf)),
      specs,
      queuedAt,
      dependencies,
    };
  }

  const pathOf = (index: number) => `/nix/store/${index.toString(36).padStart(32, '0')}-build-${index}.drv`;
  const initial: QueuedBuild[] = [];
  const unblocked = shape.runnable + shape.deferred;
  for (let index = 0; index < shape.queued; index++) {
    const system = weighted(systems, systemWeights);
    const queuedAt = random.int(0, startedAt - 1);
    if (index < unblocked) {
      const queued = build(system, queuedAt, []);
      initial.push(
        index < shape.runnable ? queued : { ...queued, notBefore: startedAt + random.int(1, 60_000) },
      );
      continue;
    }
    // Waits on other queued builds, some of them added later: the index is rebuilt in any order.
    const dependencies = Array.from({ length: random.int(1, 3) }, () =>
      pathOf(random.int(0, shape.queued - 1)),
    ).filter((path) => path !== pathOf(index));
    initial.push(build(system, queuedAt, dependencies.length > 0 ? dependencies : [pathOf(0)]));
  }
  return { initial, replacement: (taken, now) => build(taken.system, now, []) };
}
