/**
 * The run queue's rules written the obvious way — every decision a scan over the runnable builds,
 * every dependency question a scan over all builds — as the reference the property test holds
 * `createRunQueue` to, and as the dispatch bench's same-run baseline.
 */
import { anySystem } from '../../../domain/build/build.ts';
import type { DoomedBuild, PickedBuild, QueuedBuild, RunQueue } from '../../../domain/scheduling/index.ts';

const byPath = (a: { drvPath: string }, b: { drvPath: string }) =>
  a.drvPath < b.drvPath ? -1 : a.drvPath > b.drvPath ? 1 : 0;

export function createNaiveRunQueue(): RunQueue {
  const builds = new Map<string, QueuedBuild>();
  const succeeded = new Set<string>();
  const departed = new Map<string, QueuedBuild>();
  /** Queued builds whose every dependency succeeded (deferred or not). */
  const unblocked = new Set<string>();
  /** The latest `now` seen, only to count deferred builds as the real queue does. */
  let clock = Number.NEGATIVE_INFINITY;
  const isDeferred = (build: QueuedBuild) => build.notBefore !== undefined && build.notBefore > clock;

  const isUnblocked = (build: QueuedBuild) => build.dependencies.every((path) => succeeded.has(path));
  const refresh = () => {
    unblocked.clear();
    for (const build of builds.values()) if (isUnblocked(build)) unblocked.add(build.drvPath);
  };
  const forget = (drvPath: string) => {
    builds.delete(drvPath);
    unblocked.delete(drvPath);
  };

  const add = (build: QueuedBuild) => {
    builds.set(build.drvPath, build);
    departed.delete(build.drvPath);
    if (succeeded.delete(build.drvPath)) refresh();
    else if (isUnblocked(build)) unblocked.add(build.drvPath);
    else unblocked.delete(build.drvPath);
  };

  return {
    add,
    remove(drvPath) {
      const build = builds.get(drvPath);
      if (!build) return undefined;
      forget(drvPath);
      departed.set(drvPath, build);
      return build;
    },
    markSucceeded(drvPath) {
      forget(drvPath);
      departed.delete(drvPath);
      if (succeeded.has(drvPath)) return [];
      succeeded.add(drvPath);
      const released: QueuedBuild[] = [];
      for (const build of builds.values()) {
        if (!build.dependencies.includes(drvPath) || !isUnblocked(build)) continue;
        unblocked.add(build.drvPath);
        released.push(build);
      }
      return released.sort(byPath);
    },
    markFailed(root) {
      forget(root);
      departed.delete(root);
      succeeded.delete(root);
      const doomed: DoomedBuild[] = [];
      const failed = new Set([root]);
      for (let grew = true; grew; ) {
        grew = false;
        for (const build of builds.values()) {
          if (failed.has(build.drvPath) || !build.dependencies.some((path) => failed.has(path))) continue;
          failed.add(build.drvPath);
          doomed.push({ drvPath: build.drvPath, root });
          grew = true;
        }
      }
      for (const { drvPath } of doomed) forget(drvPath);
      return doomed.sort(byPath);
    },
    requeue(drvPath, notBefore) {
      const build = builds.get(drvPath) ?? departed.get(drvPath);
      if (!build) return false;
      add({ ...build, notBefore });
      return true;
    },
    next(worker, now, running) {
      clock = Math.max(clock, now);
      let best: { build: QueuedBuild; spec: string; running: number } | undefined;
      for (const drvPath of unblocked) {
        const build = builds.get(drvPath)!;
        if (build.system !== anySystem && !worker.systems.includes(build.system)) continue;
        if (build.notBefore !== undefined && build.notBefore > now) continue;
        if (best && build.priority < best.build.priority) continue;
        const specs = build.specs.length === 0 ? [''] : build.specs;
        for (const spec of specs) {
          const count = running.get(spec) ?? 0;
          if (!best || build.priority > best.build.priority || isFairer(build, spec, count, best))
            best = { build, spec, running: count };
        }
      }
      return best && ({ ...best.build, spec: best.spec } satisfies PickedBuild);
    },
    nextDeferredAt(now) {
      clock = Math.max(clock, now);
      let earliest: number | undefined;
      for (const drvPath of unblocked) {
        const at = builds.get(drvPath)!.notBefore;
        if (at !== undefined && at > now && (earliest === undefined || at < earliest)) earliest = at;
      }
      return earliest;
    },
    size: () => builds.size,
    has: (drvPath) => builds.has(drvPath),
    counts() {
      const deferred = [...unblocked].filter((drvPath) => isDeferred(builds.get(drvPath)!)).length;
      return { queued: builds.size, runnable: unblocked.size - deferred, deferred };
    },
  };
}

function isFairer(
  build: QueuedBuild,
  spec: string,
  running: number,
  than: { build: QueuedBuild; spec: string; running: number },
): boolean {
  if (running !== than.running) return running < than.running;
  if (build.queuedAt !== than.build.queuedAt) return build.queuedAt < than.build.queuedAt;
  if (build.drvPath !== than.build.drvPath) return build.drvPath < than.build.drvPath;
  return spec < than.spec;
}
