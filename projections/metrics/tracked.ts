/**
 * What the metrics remember of each build, shared wherever it can be: a build that is not waiting to
 * start (finished, or started and not finished) is only its list of specifications and whether it
 * is live, so every such build with the same list shares one record. Only builds waiting in the
 * queue have one of their own, for the time they entered it. With hundreds of thousands of builds
 * and a handful of distinct lists, the records then cost next to nothing.
 */
import type { TrackedBuild } from './state.ts';

const finished = new WeakMap<readonly string[], TrackedBuild>();
const running = new WeakMap<readonly string[], TrackedBuild>();

/** The shared record of a build wanted by `specs` that is not waiting to start. */
export function trackedBuild(specs: readonly string[], live: boolean): TrackedBuild {
  const table = live ? running : finished;
  let build = table.get(specs);
  if (build === undefined) {
    build = Object.freeze({ specs, live });
    table.set(specs, build);
  }
  return build;
}

/**
 * The record of a build that entered the queue at `enteredAt` (epoch ms) and has not started: still
 * waiting (`live`), or dispatched and not yet started.
 */
export function waitingBuild(specs: readonly string[], enteredAt: number, live = true): TrackedBuild {
  return { specs, live, enteredAt };
}
