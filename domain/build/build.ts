/**
 * The pieces of a build: who wants it, what it produced, and why it failed.
 */
import type { IsoTime } from '../shared/time.ts';

/** A job of one evaluation of one specification that needs this build. */
export interface Wanter {
  readonly spec: string;
  readonly evaluation: string;
  /** The job's name in that evaluation (`hello.x86_64-linux`). */
  readonly job: string;
}

/** One output of a finished build, as the binary cache serves it. */
export interface Output {
  /** The output's name in the derivation (`out`, `dev`, `doc`). */
  readonly name: string;
  readonly path: string;
  /** `sha256:<nix32>` of the output's NAR. */
  readonly narHash: string;
  readonly narSize: number;
  /** Store paths the output refers to. */
  readonly references: readonly string[];
}

/** One try of a build on one worker. */
export interface Attempt {
  /** Chosen by the dispatcher; fences results from attempts it gave up on. */
  readonly attemptId: string;
  readonly worker: string;
  /** 1 for the first attempt, then 2, 3… */
  readonly number: number;
}

/** When an attempt ran, as the worker reported. */
export interface Timings {
  readonly startedAt: IsoTime;
  readonly finishedAt: IsoTime;
}

/** Why a build failed. */
export type FailureReason =
  /** The builder exited with a non-zero status. */
  | { readonly kind: 'exit-code'; readonly exitCode: number }
  /** The builder was killed by a signal (`SIGSEGV`, `SIGKILL`). */
  | { readonly kind: 'signal'; readonly signal: string }
  /** The attempt ran past the specification's timeout. */
  | { readonly kind: 'timed-out' }
  /** The builder printed nothing for longer than allowed. */
  | { readonly kind: 'silent-too-long' }
  /** The worker vanished and no retry is left. */
  | { readonly kind: 'worker-lost' }
  /** An input derivation failed; `root` is the first failed derivation found. */
  | { readonly kind: 'dependency-failed'; readonly root: string }
  /** The builder succeeded but its outputs were refused (missing, wrong hash, bad references). */
  | { readonly kind: 'output-rejected'; readonly detail: string }
  /** The farm failed, not the build (a full disk, an upload that failed). */
  | { readonly kind: 'infrastructure'; readonly detail: string };

/** Why a build went back to the queue without failing. */
export type RequeueReason =
  /** Its worker was lost and a retry is left. */
  | 'worker-lost'
  /** A transient failure; the next try waits for `notBefore`. */
  | 'retry-after-backoff'
  /** The dispatcher restarted and gave up on attempts it cannot follow. */
  | 'coordinator-restart';

/** Why a result from a worker changed nothing. */
export type IgnoredWhy =
  /** The attempt was real but the build has moved on (requeued, cancelled, finished). */
  | 'stale-attempt'
  /** No attempt of this build has that id. */
  | 'unknown-attempt';

/** Systems every worker can build, whatever it lists (Nix's built-in fetchers). */
export const anySystem = 'builtin';
