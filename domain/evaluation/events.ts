/**
 * Events of an evaluation's stream (`eval-<id>`): requested, started, its jobs in chunks, and one
 * end (completed, failed or aborted).
 */
import type { Checkout } from '../checkout/checkout.ts';
import type { Actor } from '../shared/metadata.ts';
import type { IsoTime } from '../shared/time.ts';
import type { Evaluator } from '../specification/specification.ts';
import type { JobsChunk } from './chunk-jobs.ts';
import type { EvaluationFailureReason, Trigger } from './job.ts';

/** An evaluation of a specification's checkouts was asked for (schema 2: several checkouts). */
export interface EvaluationRequested {
  readonly type: 'EvaluationRequested';
  readonly data: {
    readonly evaluationId: string;
    readonly spec: string;
    readonly trigger: Trigger;
    /** One per channel of the specification. */
    readonly checkouts: readonly Checkout[];
    /**
     * For a poll's evaluation, the latest ordinal among the detections that made its checkouts the
     * heads (`headDetections` of the checkout stream). A branch set back to commits evaluated before
     * has a later one than their evaluation, which asks for a new evaluation of them. Absent from
     * evaluations asked by hand, and from polls' evaluations recorded before it existed.
     */
    readonly detection?: number;
  };
}

/** The evaluator process began. */
export interface EvaluationStarted {
  readonly type: 'EvaluationStarted';
  readonly data: {
    readonly evaluationId: string;
    /** The evaluator and entry used, as the specification said at the time. */
    readonly evaluator: Evaluator;
    readonly startedAt: IsoTime;
  };
}

/** One chunk of the jobs the evaluator produced, in order. */
export interface EvaluationJobsAdded {
  readonly type: 'EvaluationJobsAdded';
  readonly data: JobsChunk;
}

/**
 * Builds the evaluation's jobs want that had already ended (succeeded, substituted or failed) when
 * it was scheduled, each with the jobs that want it: recorded here, a chunk at a time, rather than as
 * a `BuildWanted` on each build's stream, since an evaluation of a large jobset mostly wants builds
 * an earlier one made, and a want changes nothing of an ended build's life. Read models count these
 * jobs as the build's wanters, as they do a `BuildWanted`'s.
 */
export interface EvaluationBuildsReused {
  readonly type: 'EvaluationBuildsReused';
  readonly data: {
    readonly evaluationId: string;
    /** 0 for the first, then one more each. */
    readonly chunk: number;
    readonly spec: string;
    /** The specification's priority when it was scheduled. */
    readonly priority: number;
    readonly builds: readonly ReusedBuild[];
  };
}

/** A build an evaluation reused, and the names of its jobs that want it. */
export interface ReusedBuild {
  readonly drvPath: string;
  readonly jobs: readonly string[];
}

/** The evaluation finished and all its jobs are recorded. */
export interface EvaluationCompleted {
  readonly type: 'EvaluationCompleted';
  readonly data: {
    readonly evaluationId: string;
    /** The number of jobs over all chunks. */
    readonly jobCount: number;
    /** From start to completion. */
    readonly durationMs: number;
  };
}

/** The evaluation failed; its jobs (if any were added) are not to be built. */
export interface EvaluationFailed {
  readonly type: 'EvaluationFailed';
  readonly data: {
    readonly evaluationId: string;
    readonly reason: EvaluationFailureReason;
    /** Where the evaluator's log is kept (a content hash in Tally's store). */
    readonly logRef: string;
    /** The evaluator's last words, a few lines at most. */
    readonly message?: string;
  };
}

/** Someone (or the farm, on shutdown or a newer request) stopped the evaluation. */
export interface EvaluationAborted {
  readonly type: 'EvaluationAborted';
  readonly data: { readonly evaluationId: string; readonly by: Actor; readonly why: string };
}

/** Every event of an evaluation stream. */
export type EvaluationEvent =
  | EvaluationRequested
  | EvaluationStarted
  | EvaluationJobsAdded
  | EvaluationCompleted
  | EvaluationBuildsReused
  | EvaluationFailed
  | EvaluationAborted;
