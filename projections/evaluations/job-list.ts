/**
 * An evaluation's jobs as one flat array, `[name, drvPath, name, drvPath…]` in the order the evaluator
 * gave them: two pointers a job, where a record keyed by job name cost three times that, and the
 * strings are shared copies (`interned`, the derivation's `path`), not one more copy per
 * evaluation. Names are unique within a list.
 *
 * Lookups by name go through the positions of the names in name order, computed when a query first
 * needs them and kept while the list lives: a list is never changed (a chunk of jobs makes a new one),
 * so an evaluation of 30,000 jobs is sorted once, not for every page of 100.
 */

/** `[name, drvPath, name, drvPath…]`. */
export type JobList = readonly string[];

export const noJobList: JobList = [];

const namePositions = new WeakMap<JobList, readonly number[]>();

/** Positions of the names in `jobs` (even indexes), in the order `sort()` puts strings. */
export function byName(jobs: JobList): readonly number[] {
  let positions = namePositions.get(jobs);
  if (!positions) {
    const order: number[] = [];
    for (let i = 0; i < jobs.length; i += 2) order.push(i);
    order.sort((a, b) => (jobs[a]! < jobs[b]! ? -1 : jobs[a]! > jobs[b]! ? 1 : 0));
    positions = order;
    namePositions.set(jobs, positions);
  }
  return positions;
}

/** The index in `byName(jobs)` of the first name after `name` (exclusive). */
export function firstNameAfter(jobs: JobList, name: string): number {
  const positions = byName(jobs);
  let low = 0;
  let high = positions.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (jobs[positions[middle]!]! <= name) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The `.drv` path of job `name`, or `undefined` when the list has no such job. */
export function drvPathOf(jobs: JobList, name: string): string | undefined {
  const positions = byName(jobs);
  const after = firstNameAfter(jobs, name);
  const position = positions[after - 1];
  return position !== undefined && jobs[position] === name ? jobs[position + 1] : undefined;
}

/** The names in a list, to leave out jobs a later chunk repeats. */
export function jobNames(jobs: JobList): Set<string> {
  const names = new Set<string>();
  for (let i = 0; i < jobs.length; i += 2) names.add(jobs[i]!);
  return names;
}
