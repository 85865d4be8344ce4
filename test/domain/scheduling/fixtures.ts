/** Builds and a worker loop shared by the run-queue tests. */
import type { PickedBuild, QueuedBuild, RunQueue } from '../../../domain/scheduling/index.ts';

export const x86 = 'x86_64-linux';
export const arm = 'aarch64-linux';

/** A runnable build of spec `a` on x86_64-linux at priority 0, unless told otherwise. */
export function queued(drvPath: string, overrides: Partial<QueuedBuild> = {}): QueuedBuild {
  return { drvPath, system: x86, priority: 0, specs: ['a'], queuedAt: 1000, dependencies: [], ...overrides };
}

/**
 * A worker of `systems` taking `count` builds one after another, each staying running (counted
 * against the spec it was picked for) so fairness sees them. Returns the picks in order.
 */
export function takeMany(
  queue: RunQueue,
  count: number,
  options: { systems?: readonly string[]; now?: number; running?: Map<string, number> } = {},
): PickedBuild[] {
  const running = options.running ?? new Map<string, number>();
  const picks: PickedBuild[] = [];
  for (let taken = 0; taken < count; taken++) {
    const pick = queue.next({ systems: options.systems ?? [x86] }, options.now ?? 0, running);
    if (!pick) break;
    queue.remove(pick.drvPath);
    running.set(pick.spec, (running.get(pick.spec) ?? 0) + 1);
    picks.push(pick);
  }
  return picks;
}
