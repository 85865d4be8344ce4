/**
 * The dispatcher's view of one worker, whatever carries the messages (today an in-process local
 * worker; a transport to remote workers implements the same link). The dispatcher assigns attempts
 * and may cancel them; the worker reports back through the handlers it was given. Every report names
 * its attempt id, so a late report of an attempt the dispatcher gave up on can be recognised and
 * ignored.
 */
import type { BuildFailure, BuildLimits, BuiltOutput } from '../builders/builder.ts';

/** What a worker says about itself when it connects. */
export interface WorkerCapabilities {
  readonly name: string;
  /** Systems it builds for (`x86_64-linux`); `builtin` is implied. */
  readonly systems: readonly string[];
  /** How many builds it runs at once. */
  readonly maxJobs: number;
  readonly cores: number;
  readonly memoryBytes: number;
  readonly diskBytes: number;
  readonly version: string;
}

/** One attempt sent to a worker. */
export interface Assignment {
  readonly attemptId: string;
  /** 1 for the first attempt of the build, then 2, 3… (names the attempt's log). */
  readonly attempt: number;
  readonly drvPath: string;
  readonly limits: BuildLimits;
}

/** How an attempt ended, as the worker saw it. */
export type AttemptOutcome =
  | { readonly ok: true; readonly outputs: readonly BuiltOutput[] }
  | ({ readonly ok: false; readonly message: string } & BuildFailure);

/** What a worker reports about its attempts. */
export interface WorkerReports {
  started(attemptId: string, at: Date): void;
  /** The attempt's log is kept in the store (under the attempt's number) with this many bytes. */
  logStored(attemptId: string, bytes: number): void;
  finished(attemptId: string, outcome: AttemptOutcome, timings: { startedAt: Date; finishedAt: Date }): void;
}

/** A connected worker as the dispatcher drives it. */
export interface WorkerLink {
  readonly capabilities: WorkerCapabilities;
  /** Starts an attempt; reports arrive through the handlers given when the link was made. */
  assign(assignment: Assignment): void;
  /** Stops an attempt if it is still running (its `finished` report says `cancelled`). */
  cancel(attemptId: string): void;
  /** Stops every attempt and disconnects. */
  close(): Promise<void>;
}
