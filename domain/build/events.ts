/**
 * Events of a build's stream (`build-<drv hash>`): one build per derivation, shared by every job of
 * every specification that produces it.
 */
import type { Actor } from '../shared/metadata.ts';
import type { IsoTime } from '../shared/time.ts';
import type { FailureReason, IgnoredWhy, Output, RequeueReason, Timings, Wanter } from './build.ts';

interface Of {
  readonly drvPath: string;
}

/** A derivation to build entered the queue. */
export interface BuildQueued {
  readonly type: 'BuildQueued';
  readonly data: Of & {
    readonly system: string;
    readonly wantedBy: readonly Wanter[];
    readonly priority: number;
    /** `.drv` paths of the input derivations Tally builds; it runs after they succeed. */
    readonly dependencies: readonly string[];
  };
}

/** More jobs want an existing build; the build takes the highest priority. */
export interface BuildWanted {
  readonly type: 'BuildWanted';
  readonly data: Of & { readonly wantedBy: readonly Wanter[]; readonly priority: number };
}

/** Every output was found in a binary cache: nothing to build. */
export interface BuildSubstituted {
  readonly type: 'BuildSubstituted';
  readonly data: Of & { readonly from: string; readonly outputs: readonly Output[] };
}

/** The build was sent to a worker as a new attempt. */
export interface BuildDispatched {
  readonly type: 'BuildDispatched';
  readonly data: Of & { readonly worker: string; readonly attemptId: string; readonly attempt: number };
}

/** The worker began the attempt. */
export interface BuildStarted {
  readonly type: 'BuildStarted';
  readonly data: Of & { readonly attemptId: string; readonly startedAt: IsoTime };
}

/** An attempt's log is kept in the store (also for attempts that did not finish the build). */
export interface BuildLogStored {
  readonly type: 'BuildLogStored';
  readonly data: Of & { readonly attemptId: string; readonly logRef: string; readonly bytes: number };
}

/** The attempt built every output. */
export interface BuildSucceeded {
  readonly type: 'BuildSucceeded';
  readonly data: Of & {
    readonly attemptId: string;
    readonly outputs: readonly Output[];
    readonly timings: Timings;
  };
}

/** The build failed (schema 2: a `reason` union); without an attempt when no worker was involved. */
export interface BuildFailed {
  readonly type: 'BuildFailed';
  readonly data: Of & {
    readonly attemptId?: string;
    readonly reason: FailureReason;
    /** One line for people: the builder's last error, or what the farm saw. */
    readonly message?: string;
  };
}

/** Someone stopped the build before it finished. */
export interface BuildCancelled {
  readonly type: 'BuildCancelled';
  readonly data: Of & { readonly by: Actor; readonly why?: string };
}

/** Someone put a finished build back in the queue. */
export interface BuildRestarted {
  readonly type: 'BuildRestarted';
  readonly data: Of & { readonly by: Actor; readonly why?: string };
}

/** The current attempt was given up and the build waits in the queue again. */
export interface BuildRequeued {
  readonly type: 'BuildRequeued';
  readonly data: Of & {
    readonly attemptId: string;
    readonly why: RequeueReason;
    /** The build is not dispatched before this time. */
    readonly notBefore: IsoTime;
    readonly detail?: string;
  };
}

/** A result for an attempt that is no longer current was recorded as stale and changed nothing. */
export interface BuildResultIgnored {
  readonly type: 'BuildResultIgnored';
  readonly data: Of & {
    readonly attemptId: string;
    readonly why: IgnoredWhy;
    /** What the late message said. */
    readonly result: 'started' | 'succeeded' | 'failed';
  };
}

/** Every event of a build stream. */
export type BuildEvent =
  | BuildQueued
  | BuildWanted
  | BuildSubstituted
  | BuildDispatched
  | BuildStarted
  | BuildLogStored
  | BuildSucceeded
  | BuildFailed
  | BuildCancelled
  | BuildRestarted
  | BuildRequeued
  | BuildResultIgnored;
