/**
 * Commands to a build stream, from the scheduler, the dispatcher, workers (through the dispatcher)
 * and people (through the API).
 */
import type { Actor } from '../shared/metadata.ts';
import type { IsoTime } from '../shared/time.ts';
import type { FailureReason, Output, RequeueReason, Timings, Wanter } from './build.ts';

interface Issued {
  readonly at: IsoTime;
  readonly actor: Actor;
  readonly drvPath: string;
}

/** Queue the build, or record more jobs that want it if it exists. */
export interface QueueBuild extends Issued {
  readonly type: 'QueueBuild';
  readonly system: string;
  readonly wantedBy: readonly Wanter[];
  readonly priority: number;
  readonly dependencies: readonly string[];
}

/** Record that a cache has every output. */
export interface SubstituteBuild extends Issued {
  readonly type: 'SubstituteBuild';
  /** The cache's URL. */
  readonly from: string;
  readonly outputs: readonly Output[];
}

/** Send the build to a worker as a new attempt. */
export interface DispatchBuild extends Issued {
  readonly type: 'DispatchBuild';
  /** The chosen worker and the systems it builds, as the dispatcher knows them now. */
  readonly worker: { readonly name: string; readonly systems: readonly string[] };
  readonly attemptId: string;
}

/** A worker began an attempt. */
export interface StartBuild extends Issued {
  readonly type: 'StartBuild';
  readonly attemptId: string;
}

/** An attempt's log was stored. */
export interface RecordBuildLog extends Issued {
  readonly type: 'RecordBuildLog';
  readonly attemptId: string;
  readonly logRef: string;
  readonly bytes: number;
}

/** An attempt built every output. */
export interface SucceedBuild extends Issued {
  readonly type: 'SucceedBuild';
  readonly attemptId: string;
  readonly outputs: readonly Output[];
  readonly timings: Timings;
}

/** The build failed, in an attempt or (without `attemptId`) before any could run. */
export interface FailBuild extends Issued {
  readonly type: 'FailBuild';
  readonly attemptId?: string;
  readonly reason: FailureReason;
  readonly message?: string;
}

/** Stop a build that has not finished. */
export interface CancelBuild extends Issued {
  readonly type: 'CancelBuild';
  readonly why?: string;
}

/** Put a finished build back in the queue. */
export interface RestartBuild extends Issued {
  readonly type: 'RestartBuild';
  readonly why?: string;
}

/** Give up the current attempt and queue the build again. */
export interface RequeueBuild extends Issued {
  readonly type: 'RequeueBuild';
  readonly attemptId: string;
  readonly why: RequeueReason;
  readonly notBefore: IsoTime;
  readonly detail?: string;
}

/** Every command a build stream accepts. */
export type BuildCommand =
  | QueueBuild
  | SubstituteBuild
  | DispatchBuild
  | StartBuild
  | RecordBuildLog
  | SucceedBuild
  | FailBuild
  | CancelBuild
  | RestartBuild
  | RequeueBuild;
