/**
 * The evaluations read model: every evaluation of every specification with its timings, checkouts and
 * jobs, and the build status of each job, kept current as builds progress.
 */
import type { Checkout } from '../../domain/checkout/checkout.ts';
import type { EvaluationFailureReason, Trigger } from '../../domain/evaluation/job.ts';
import type { IsoTime } from '../../domain/shared/time.ts';
import { emptyMap, type PMap } from '../shared/persistent-map.ts';
import type { StoredTime } from '../shared/stored-time.ts';
import type { JobList } from './job-list.ts';

/** Where an evaluation stands. */
export type EvaluationStatus = 'requested' | 'started' | 'completed' | 'failed' | 'aborted';

/**
 * The build status of a job: its derivation's build. `unscheduled` while no build of the derivation is
 * recorded: the scheduler queues builds once an evaluation completes, so a job of an evaluation still
 * running, or of one that failed or was aborted, has none (unless another evaluation's job shares it).
 */
export type JobBuildStatus =
  | 'unscheduled'
  | 'queued'
  | 'dispatched'
  | 'building'
  | 'succeeded'
  | 'failed'
  | 'cancelled'
  | 'substituted';

export const jobBuildStatuses: readonly JobBuildStatus[] = [
  'unscheduled',
  'queued',
  'dispatched',
  'building',
  'succeeded',
  'failed',
  'cancelled',
  'substituted',
];

/** Jobs of an evaluation by build status. */
export type JobCounts = Readonly<Record<JobBuildStatus, number>>;

export const noJobs: JobCounts = {
  unscheduled: 0,
  queued: 0,
  dispatched: 0,
  building: 0,
  succeeded: 0,
  failed: 0,
  cancelled: 0,
  substituted: 0,
};

/** How an evaluation that did not complete ended. */
export type EvaluationEnd =
  | {
      readonly kind: 'failed';
      readonly reason: EvaluationFailureReason;
      readonly logRef: string;
      readonly message?: string;
    }
  | { readonly kind: 'aborted'; readonly by: string; readonly why: string };

/** One evaluation, without its jobs: what lists show. */
export interface EvaluationSummary {
  readonly id: string;
  readonly spec: string;
  readonly status: EvaluationStatus;
  readonly trigger: Trigger;
  readonly checkouts: readonly Checkout[];
  readonly requestedAt: IsoTime;
  readonly startedAt?: IsoTime;
  readonly finishedAt?: IsoTime;
  /** From start to end (as the evaluator reported for completed evaluations). */
  readonly durationMs?: number;
  /** Jobs recorded so far (all of them once completed). */
  readonly jobCount: number;
  readonly counts: JobCounts;
  readonly end?: EvaluationEnd;
}

/** What an evaluation's own events set, times as `StoredTime`: the summary but for its counts. */
export interface EvaluationInfo {
  readonly id: string;
  readonly spec: string;
  readonly status: EvaluationStatus;
  readonly trigger: Trigger;
  readonly checkouts: readonly Checkout[];
  readonly requestedAt: StoredTime;
  readonly startedAt?: StoredTime;
  readonly finishedAt?: StoredTime;
  readonly durationMs?: number;
  readonly jobCount: number;
  readonly end?: EvaluationEnd;
}

/**
 * One evaluation as the model keeps it. Its counts are apart from the rest: a build's change of status
 * changes the counts of every evaluation that has the derivation, and then copies a document of three
 * fields rather than one of a dozen.
 */
export interface EvaluationDoc {
  readonly info: EvaluationInfo;
  readonly counts: JobCounts;
  /** Job names and `.drv` paths, in the order the evaluator gave them. */
  readonly jobs: JobList;
}

/**
 * What the model knows of one derivation: its build's status and the evaluations whose jobs want it.
 * It also holds the one copy of its path that every job list shares: each chunk of jobs arrives as new
 * strings, and keeping those would cost a copy per job of every evaluation.
 */
export interface DrvDoc {
  readonly status: JobBuildStatus;
  readonly path: string;
  /** One evaluation id per job that has this derivation (an id twice when two of its jobs do). */
  readonly wanters: readonly string[];
}

export interface EvaluationsState {
  readonly evaluations: PMap<EvaluationDoc>;
  /** Evaluation ids per specification, oldest first. */
  readonly bySpec: Readonly<Record<string, readonly string[]>>;
  /** Derivations by `.drv` path. */
  readonly drvs: PMap<DrvDoc>;
}

export const initialEvaluationsState: EvaluationsState = {
  evaluations: emptyMap(),
  bySpec: {},
  drvs: emptyMap(),
};
