/**
 * The builds read model: one document per build (per derivation), reachable by the hash part of its
 * `.drv` path and by a small integer id given in the order builds were first queued (Hydra's tools
 * expect integer ids).
 */
import type { FailureReason } from '../../domain/build/build.ts';
import type { IsoTime } from '../../domain/shared/time.ts';
import { emptyMap, type PMap } from '../shared/persistent-map.ts';
import type { StoredTime } from '../shared/stored-time.ts';

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

/** One attempt as the state keeps it: every field always present (one object shape; `null`, which survives a
 * JSON snapshot, where there is nothing), times stored. */
export interface AttemptRecord {
  readonly attemptId: string;
  readonly worker: string;
  readonly number: number;
  readonly dispatchedAt: StoredTime;
  readonly startedAt: StoredTime | null;
  readonly finishedAt: StoredTime | null;
  readonly result: AttemptResult | null;
  readonly logRef: string | null;
  readonly logBytes: number | null;
  readonly lateResults: readonly ('started' | 'succeeded' | 'failed')[] | null;
}

/**
 * One build as the state keeps it; the queries turn it into a `BuildDoc`. Smaller than the document:
 * no hash (it is in the `.drv` path), times stored as numbers, the wanting jobs as one flat array of
 * `spec, job, evaluation` triples, outputs as a path or `name, path` pairs, names interned, and every field
 * always present (`null` for nothing) so that all records share one object shape.
 */
export interface BuildRecord {
  readonly id: number;
  readonly drvPath: string;
  readonly system: string;
  readonly status: BuildStatus;
  readonly priority: number;
  readonly queuedAt: StoredTime;
  readonly finishedAt: StoredTime | null;
  /** `spec, job, evaluation` of each wanting (specification, job), in the order they came. */
  readonly wantedBy: readonly string[];
  readonly wantedCount: number;
  readonly attempts: Attempts;
  /**
   * Once succeeded or substituted: the path of a lone `out` output (nearly every build: no array), or
   * `name, path` of each output.
   */
  readonly outputs: string | readonly string[] | null;
  /**
   * What the status's end adds, one field for what were four: `substituted`, the binary cache it
   * came from; `cancelled`, who cancelled it; `failed`, a `FailureRecord`; otherwise `null`.
   */
  readonly ending: string | FailureRecord | null;
  readonly restarts: number;
}

/**
 * A build's attempts: `null` for none, the attempt itself for one (most builds that ran once: no
 * array to hold it), an array, oldest first, for several.
 */
export type Attempts = AttemptRecord | readonly AttemptRecord[] | null;

/** Why a failed build failed. */
export interface FailureRecord {
  readonly reason: FailureReason;
  readonly message: string | null;
}

/** How many ids one entry of `BuildsState.ids` holds. */
export const idChunk = 64;

/** The whole read model. */
export interface BuildsState {
  /** Builds by the hash part of their `.drv` path. */
  readonly builds: PMap<BuildRecord>;
  /**
   * Hash parts by integer id, in chunks of `idChunk`: id `id` is at index `(id - 1) % idChunk` of the
   * entry `String(Math.floor((id - 1) / idChunk))`. Ids are dense: a few chunks cost far less than a
   * map entry per id.
   */
  readonly ids: PMap<readonly string[]>;
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
