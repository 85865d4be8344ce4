/**
 * Commands to an evaluation stream, sent by the poller, the API and the evaluator process manager.
 */
import type { Checkout } from '../checkout/checkout.ts';
import type { Actor } from '../shared/metadata.ts';
import type { IsoTime } from '../shared/time.ts';
import type { Evaluator } from '../specification/specification.ts';
import type { ReusedBuild } from './events.ts';
import type { EvaluationFailureReason, Job, Trigger } from './job.ts';

interface Issued {
  readonly at: IsoTime;
  readonly actor: Actor;
  readonly evaluationId: string;
}

/** Ask for an evaluation of these checkouts. */
export interface RequestEvaluation extends Issued {
  readonly type: 'RequestEvaluation';
  readonly spec: string;
  readonly trigger: Trigger;
  readonly checkouts: readonly Checkout[];
  /** See `EvaluationRequested.detection`. */
  readonly detection?: number;
}

/** Record that the evaluator started. */
export interface StartEvaluation extends Issued {
  readonly type: 'StartEvaluation';
  readonly evaluator: Evaluator;
}

/** Record the next chunk of jobs (see `chunkJobs`). */
export interface AddEvaluationJobs extends Issued {
  readonly type: 'AddEvaluationJobs';
  readonly chunk: number;
  readonly jobs: readonly Job[];
}

/** Record the end of a successful evaluation; `jobCount` is what the evaluator produced. */
export interface CompleteEvaluation extends Issued {
  readonly type: 'CompleteEvaluation';
  readonly jobCount: number;
}

/** Record the next chunk of builds a completed evaluation reused (see `EvaluationBuildsReused`). */
export interface RecordReusedBuilds extends Issued {
  readonly type: 'RecordReusedBuilds';
  readonly chunk: number;
  readonly spec: string;
  readonly priority: number;
  readonly builds: readonly ReusedBuild[];
}

/** Record a failed evaluation. */
export interface FailEvaluation extends Issued {
  readonly type: 'FailEvaluation';
  readonly reason: EvaluationFailureReason;
  readonly logRef: string;
  readonly message?: string;
}

/** Stop an evaluation that has not ended. */
export interface AbortEvaluation extends Issued {
  readonly type: 'AbortEvaluation';
  readonly why: string;
}

/** Every command an evaluation stream accepts. */
export type EvaluationCommand =
  | RequestEvaluation
  | StartEvaluation
  | AddEvaluationJobs
  | CompleteEvaluation
  | RecordReusedBuilds
  | FailEvaluation
  | AbortEvaluation;
