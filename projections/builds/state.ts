/**
 * The builds read model: one document per build (per derivation), reachable by the hash part of its
 * `.drv` path and by a small integer id given in the order builds were first queued (Hydra's tools
 * expect integer ids).
 */
import type { FailureReason } from '../../domain/build/build.ts';
import type { IsoTime } from '../../domain/shared/time.ts';
import { emptyMap, type PMap } from '../shared/persistent-map.ts';

/** Where a build stands. */
export type BuildStatus =
  | 'queued'
  | 'dispatched'
  | 'building'
  | 'succeeded'
  | 'failed'
  | 'cancelled'
  | 'substituted';

/** How one attempt ended. */
export type AttemptResult =
  /** It built every output. */
  | 'succeeded'
  /** It failed the build. */
  | 'failed'
  /** It was given up and the build went back to the queue. */
  | 'requeued'
  /** The build was cancelled while it ran. */
  | 'cancelled';

/** One try of a build on one worker. */
export interface AttemptDoc {
  readonly attemptId: string;
  readonly worker: string;
  /** 1, 2, 3… */
  readonly number: number;
  readonly dispatchedAt: IsoTime;
  readonly startedAt?: IsoTime;
  readonly finishedAt?: IsoTime;
  readonly result?: AttemptResult;
  /** The attempt's log in Tally's store. */
  readonly logRef?: string;
  readonly logBytes?: number;
  /** What a late message from this attempt said after the build had moved on. */
  readonly lateResults?: readonly ('started' | 'succeeded' | 'failed')[];
}

/** A job that wants the build; one entry per specification and job, with its latest evaluation. */
export interface WantedByDoc {
  readonly spec: string;
  readonly job: string;
  readonly evaluation: string;
}

/** One build as the API shows it. */
export interface BuildDoc {
  /** Small integer in the order builds were first queued, from 1. */
  readonly id: number;
  /** The hash part of the `.drv` path: the build's key. */
  readonly hash: string;
  readonly drvPath: string;
  readonly system: string;
  readonly status: BuildStatus;
  /** The highest priority any wanting job asked for. */
  readonly priority: number;
  readonly queuedAt: IsoTime;
  /** When the build last became finished (succeeded, failed, cancelled or substituted). */
  readonly finishedAt?: IsoTime;
  /** Distinct (specification, job) pairs that want it, each with the latest evaluation that did. */
  readonly wantedBy: readonly WantedByDoc[];
  /** Every (specification, evaluation, job) that ever wanted it. */
  readonly wantedCount: number;
  readonly attempts: readonly AttemptDoc[];
  /** Output name → store path, once succeeded or substituted. */
  readonly outputs?: Readonly<Record<string, string>>;
  /** The binary cache it was substituted from. */
  readonly substitutedFrom?: string;
  /** Why it failed, while failed. */
  readonly failure?: FailureReason;
  readonly failureMessage?: string;
  /** Who cancelled it, while cancelled. */
  readonly cancelledBy?: string;
  /** How many times someone restarted it. */
  readonly restarts: number;
}

/** The whole read model. */
export interface BuildsState {
  /** Builds by the hash part of their `.drv` path. */
  readonly builds: PMap<BuildDoc>;
  /** Hash parts by integer id (the id as a decimal string). */
  readonly ids: PMap<string>;
  /** Ids of the builds of each job name, ascending. */
  readonly byJob: PMap<readonly number[]>;
  /** The last id given; 0 before any build. */
  readonly lastId: number;
}

export const initialBuildsState: BuildsState = {
  builds: emptyMap(),
  ids: emptyMap(),
  byJob: emptyMap(),
  lastId: 0,
};
