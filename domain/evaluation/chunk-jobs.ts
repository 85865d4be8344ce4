/**
 * Splitting an evaluation's jobs into `EvaluationJobsAdded` events small enough for the store, which
 * refuses appends over 1 MiB. Guix-size evaluations (tens of thousands of jobs) take several chunks.
 */
import { DomainError } from '../shared/errors.ts';
import { utf8Length } from '../shared/utf8-length.ts';

export { utf8Length };

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
 * Splits `jobs`, in order, into the fewest greedy chunks whose data JSON stays within `maxBytes`.
 * Throws `TALLY_EVALUATION_JOB_TOO_LARGE` when one job alone does not fit.
 */
export function chunkJobs(
  evaluationId: string,
  jobs: readonly Job[],
  options: { readonly maxBytes?: number; readonly firstChunk?: number } = {},
): readonly JobsChunk[] {
  const { maxBytes = defaultChunkBytes, firstChunk = 0 } = options;
  const chunks: JobsChunk[] = [];
  const overhead = (chunk: number) => chunkBytes({ evaluationId, chunk, jobs: [] });
  let current: Job[] = [];
  let size = overhead(firstChunk);
  for (const job of jobs) {
    const jobBytes = utf8Length(JSON.stringify(job)) + (current.length > 0 ? 1 : 0);
    if (size + jobBytes > maxBytes && current.length > 0) {
      chunks.push({ evaluationId, chunk: firstChunk + chunks.length, jobs: current });
      current = [];
      size = overhead(firstChunk + chunks.length);
      const alone = jobBytes - 1;
      if (size + alone > maxBytes) throw tooLarge(job, alone, maxBytes);
      size += alone;
    } else if (size + jobBytes > maxBytes) {
      throw tooLarge(job, jobBytes, maxBytes);
    } else {
      size += jobBytes;
    }
    current.push(job);
  }
  if (current.length > 0) chunks.push({ evaluationId, chunk: firstChunk + chunks.length, jobs: current });
  return chunks;
}

function tooLarge(job: Job, bytes: number, maxBytes: number): DomainError {
  return new DomainError(
    'TALLY_EVALUATION_JOB_TOO_LARGE',
    `Job ${JSON.stringify(job.name.slice(0, 200))} takes ${bytes} bytes, more than an event's ${maxBytes}`,
  );
}
