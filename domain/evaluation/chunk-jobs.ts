/**
 * Splitting an evaluation's jobs into `EvaluationJobsAdded` events small enough for the store, which
 * refuses appends over 1 MiB. Guix-size evaluations (tens of thousands of jobs) take several chunks.
 */
import { DomainError } from '../shared/errors.ts';
import { utf8Length } from '../shared/utf8-length.ts';

export { utf8Length };

import type { EvaluationBuildsReused, ReusedBuild } from './events.ts';
import type { Job } from './job.ts';

/** The default budget for one chunk's data: 900 KiB, leaving room for metadata under 1 MiB. */
export const defaultChunkBytes = 900 * 1024;

/** The data of one `EvaluationJobsAdded` event. */
export interface JobsChunk {
  readonly evaluationId: string;
  /** 0, 1, 2… in append order. */
  readonly chunk: number;
  readonly jobs: readonly Job[];
}

/** Bytes of the JSON of a chunk's data: `{"evaluationId":…,"chunk":N,"jobs":[…]}`. */
export function chunkBytes(chunk: JobsChunk): number {
  return utf8Length(JSON.stringify(chunk));
}

/**
 * `items`, in order, in the fewest greedy runs whose event data stays within `maxBytes`: the data of
 * run `n` (counted from `firstChunk`) is `overhead(n)` bytes with no item, and each item adds its
 * JSON and a comma. `alone` answers an item too large even on its own: an error to throw, or
 * `undefined` to give it a run of its own all the same (the decider then refuses that run).
 */
export function splitByBytes<T>(
  items: readonly T[],
  overhead: (chunk: number) => number,
  options: {
    readonly maxBytes: number;
    readonly firstChunk: number;
    readonly alone: (item: T, bytes: number) => Error | undefined;
  },
): T[][] {
  const { maxBytes, firstChunk, alone } = options;
  const runs: T[][] = [];
  let current: T[] = [];
  let size = overhead(firstChunk);
  for (const item of items) {
    const bytes = utf8Length(JSON.stringify(item));
    const separated = bytes + (current.length > 0 ? 1 : 0);
    if (size + separated > maxBytes && current.length > 0) {
      runs.push(current);
      current = [];
      size = overhead(firstChunk + runs.length);
    }
    if (size + bytes > maxBytes) {
      const error = alone(item, bytes);
      if (error) throw error;
    }
    size += current.length > 0 ? separated : bytes;
    current.push(item);
  }
  if (current.length > 0) runs.push(current);
  return runs;
}

/**
 * Splits `jobs`, in order, into the fewest greedy chunks whose data JSON stays within `maxBytes`.
 * Throws `TALLY_EVALUATION_JOB_TOO_LARGE` when one job alone does not fit.
 */
export function chunkJobs(
  evaluationId: string,
  jobs: readonly Job[],
  options: { readonly maxBytes?: number; readonly firstChunk?: number } = {},
): readonly JobsChunk[] {
  const { maxBytes = defaultChunkBytes, firstChunk = 0 } = options;
  const overhead = (chunk: number) => chunkBytes({ evaluationId, chunk, jobs: [] });
  const runs = splitByBytes(jobs, overhead, {
    maxBytes,
    firstChunk,
    alone: (job, bytes) => tooLarge(job, bytes, maxBytes),
  });
  return runs.map((run, index) => ({ evaluationId, chunk: firstChunk + index, jobs: run }));
}

/**
 * The data of the `EvaluationBuildsReused` events that record `builds`, chunk after chunk from
 * `firstChunk`, each within the chunk budget. A build whose jobs alone are over it is a chunk of its
 * own, which the decider refuses.
 */
export function chunkReusedBuilds(
  evaluationId: string,
  spec: string,
  priority: number,
  builds: readonly ReusedBuild[],
  firstChunk = 0,
): ReusedChunk[] {
  const data = (chunk: number, run: readonly ReusedBuild[]) => ({
    evaluationId,
    chunk,
    spec,
    priority,
    builds: run,
  });
  const overhead = (chunk: number) => utf8Length(JSON.stringify(data(chunk, [])));
  const runs = splitByBytes(builds, overhead, {
    maxBytes: defaultChunkBytes,
    firstChunk,
    alone: () => undefined,
  });
  return runs.map((run, index) => data(firstChunk + index, run));
}

/** The data of one `EvaluationBuildsReused` event. */
export type ReusedChunk = EvaluationBuildsReused['data'];

function tooLarge(job: Job, bytes: number, maxBytes: number): DomainError {
  return new DomainError(
    'TALLY_EVALUATION_JOB_TOO_LARGE',
    `Job ${JSON.stringify(job.name.slice(0, 200))} takes ${bytes} bytes, more than an event's ${maxBytes}`,
  );
}
