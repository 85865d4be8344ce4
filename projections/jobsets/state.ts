/**
 * The jobsets read model: per specification its definition, channels and their last checkouts, its
 * last evaluation, and per line (each branch of a pattern channel; the specification's one line
 * otherwise) the line's last evaluation and the jobs of its two latest completed evaluations (for
 * counts and weather).
 */
import type { PollFailureReason } from '../../domain/checkout/checkout.ts';
import type { IsoTime } from '../../domain/shared/time.ts';
import type { LineBranches } from '../../domain/specification/line.ts';
import type { Specification } from '../../domain/specification/specification.ts';
import type { JobList } from '../evaluations/job-list.ts';
import type { EvaluationStatus, JobBuildStatus } from '../evaluations/state.ts';
import { emptyMap, type PMap } from '../shared/persistent-map.ts';

/** The last commit seen on a channel. */
export interface LastCheckout {
  readonly commit: string;
  readonly branch: string;
  readonly commitTime: IsoTime;
  readonly detectedAt: IsoTime;
}

/** A channel as the poller last saw it. */
export interface ChannelDoc {
  readonly lastCheckout?: LastCheckout;
  /** Present while polls fail. */
  readonly pollFailure?: {
    readonly reason: PollFailureReason;
    readonly message: string;
    readonly since: IsoTime;
  };
  readonly recoveredAt?: IsoTime;
}

export interface LastEvaluation {
  readonly id: string;
  readonly status: EvaluationStatus;
  readonly requestedAt: IsoTime;
  readonly startedAt?: IsoTime;
  readonly finishedAt?: IsoTime;
}

/** A completed evaluation's jobs. */
export interface CompletedJobs {
  readonly evaluationId: string;
  readonly finishedAt: IsoTime;
  /** Job names and `.drv` paths; a name once, with the last path given for it. */
  readonly jobs: JobList;
}

/** A specification as registered, updated, paused and polled. */
export interface SpecDoc {
  readonly name: string;
  readonly definition: Specification;
  readonly active: boolean;
  readonly registeredAt: IsoTime;
  readonly updatedAt: IsoTime;
  /**
   * The revision of the specification's stream at its last change: what `If-Match` names to change it
   * only if nobody else has since (served as the ETag of `GET /api/specs/:name`).
   */
  readonly revision: number;
  readonly channels: Readonly<Record<string, ChannelDoc>>;
}

/** An evaluation in progress. */
export interface RunningEvaluation {
  /** The id of its line (`lineOf`). */
  readonly line: string;
  readonly jobs: JobList;
}

/**
 * What the evaluations of one line change: the jobs of its two latest completed evaluations are
 * compared with each other, never with another branch's.
 */
export interface LineProgress {
  /** The branch of each pattern channel its evaluations check out; none in a specification's only line. */
  readonly branches: LineBranches;
  readonly lastEvaluation?: LastEvaluation;
  readonly latest?: CompletedJobs;
  readonly previous?: CompletedJobs;
}

/** What a specification's evaluations change. */
export interface SpecProgress {
  /** The last evaluation requested, of any line. */
  readonly lastEvaluation?: LastEvaluation;
  /** Evaluations in progress, until they end. */
  readonly running: Readonly<Record<string, RunningEvaluation>>;
  /** Lines by id, from their first evaluation's request until their branch is deleted. */
  readonly lines: Readonly<Record<string, LineProgress>>;
  /** The line of the latest completed evaluation of any line, while it is there. */
  readonly latestLine?: string;
}

export const noProgress: SpecProgress = { running: {}, lines: {} };

export interface JobsetsState {
  readonly specs: Readonly<Record<string, SpecDoc>>;
  /**
   * The progress of each specification in `specs`, apart from its document and in a map: an
   * evaluation's five events each change it, and a record of every specification copied per event
   * was most of this model's fold with hundreds of them.
   */
  readonly progress: PMap<SpecProgress>;
  /**
   * The specification of each evaluation that has not ended (later events of an evaluation carry only
   * its id, and none follow its end). A small record: a map of every evaluation ever cost hundreds of
   * bytes each for good.
   */
  readonly runningSpecs: Readonly<Record<string, string>>;
  /** The build status of every derivation seen in a build event. */
  readonly results: PMap<JobBuildStatus>;
}

export const initialJobsetsState: JobsetsState = {
  specs: {},
  progress: emptyMap(),
  runningSpecs: {},
  results: emptyMap(),
};
