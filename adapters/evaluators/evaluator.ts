/**
 * The evaluator port: turn a checkout into jobs (a name bound to a `.drv`) plus the derivations and
 * sources the store must hold to build them. Every evaluator runs its work in a child process with
 * limits, and every failure comes back as a value with the log: nothing an evaluated repository
 * does can throw through this port.
 */

/** What an evaluation may spend before it is stopped. */
export interface EvaluationLimits {
  /** Wall clock for the whole evaluation; the child's process group is killed past it. */
  readonly timeoutMs: number;
  /** Memory the evaluator process may use (heap for node, address space for nix). */
  readonly memoryBytes: number;
  /** Bytes the child may write on stdout (its answer) and stderr (its log) together. */
  readonly outputBytes: number;
}

/** One evaluation to run. */
export interface EvaluationRequest {
  /** The checked-out repository, an absolute path. */
  readonly checkoutDir: string;
  /** The file in the checkout to evaluate (`tally.jobs.json`, `release.nix`…), relative to it. */
  readonly entry: string;
  /** The store directory the paths are computed for (`/nix/store` to agree with Nix). */
  readonly storeDir: string;
  /** Systems to keep jobs for; empty keeps every job. */
  readonly systems: readonly string[];
  readonly limits: EvaluationLimits;
  /** Aborting it stops the evaluation and kills its processes. */
  readonly signal?: AbortSignal;
}

/** One job of an evaluation. */
export interface EvaluatedJob {
  /** `hello`, or dotted for nested attribute sets (`tools.hello`). */
  readonly name: string;
  readonly system: string;
  readonly drvPath: string;
  /** Output name → store path. */
  readonly outputs: Readonly<Record<string, string>>;
}

/** Why an evaluation failed. */
export type EvaluationFailureReason =
  /** The evaluator reported an error in the repository's code (a Nix error, a failing jobs program). */
  | 'evaluator-error'
  /** It ran past `limits.timeoutMs`. */
  | 'timed-out'
  /** It ran out of the memory `limits.memoryBytes` allows. */
  | 'out-of-memory'
  /** It wrote more than `limits.outputBytes`. */
  | 'output-too-large'
  /** The child's answer could not be understood (a bug or a crash, not the repository's fault). */
  | 'malformed-output'
  /** The jobset declaration is invalid; the message names the job and the field. */
  | 'malformed-jobset';

/** A successful evaluation. */
export interface EvaluationSuccess {
  readonly ok: true;
  readonly jobs: readonly EvaluatedJob[];
  /** Every `.drv` the jobs need (their closure), path → the file's bytes. */
  readonly drvFiles: ReadonlyMap<string, Uint8Array>;
  /**
   * Source store paths the derivations use → where their content is now (a path in the checkout
   * for the native evaluator, the store path itself for nix). The store adds them as NARs.
   */
  readonly sources: ReadonlyMap<string, string>;
  readonly log: string;
}

/** A failed evaluation: a reason, one line for people, and whatever the evaluator wrote. */
export interface EvaluationFailure {
  readonly ok: false;
  readonly reason: EvaluationFailureReason;
  readonly message: string;
  readonly log: string;
}

export type EvaluationResult = EvaluationSuccess | EvaluationFailure;

/** An evaluator: native (a jobset file), nix (`nix-instantiate`)… */
export interface Evaluator {
  /** The evaluator's name as a specification names it. */
  readonly name: string;
  /** Evaluates a checkout; resolves with a failure value, never rejects for the repository's faults. */
  evaluate(request: EvaluationRequest): Promise<EvaluationResult>;
}

/** Limits that suit a command-line run or a test. */
export const defaultEvaluationLimits: EvaluationLimits = {
  timeoutMs: 5 * 60_000,
  memoryBytes: 2 * 1024 ** 3,
  outputBytes: 256 * 1024 ** 2,
};
