/**
 * The builder port: realise one derivation whose inputs are in the store, stream its log while it
 * runs, and answer with the outputs (NAR hash, size, references) or why it failed. Failures are
 * values; a builder never throws for what the derivation does.
 */
import type { Derivation } from '../../domain/derivation/index.ts';

/** What a build may spend before it is stopped. */
export interface BuildLimits {
  /** Wall clock for the whole build. */
  readonly timeoutMs: number;
  /** Longest time without log output. */
  readonly maxSilentMs: number;
  /** Log bytes the builder may write; past it the build is stopped. */
  readonly maxLogBytes: number;
}

/** One build to run. */
export interface BuildRequest {
  readonly drvPath: string;
  readonly drv: Derivation;
  readonly storeDir: string;
  readonly limits: BuildLimits;
  /** Receives the log as the builder writes it (stdout and stderr interleaved as they arrive). */
  readonly onLog?: (chunk: Uint8Array) => void;
  /** Aborting it cancels the build and kills every process it started. */
  readonly signal?: AbortSignal;
  /**
   * Store paths the outputs may refer to besides the derivation's direct inputs: the closure of the
   * inputs' references. References are found by scanning for these paths' hash parts.
   */
  readonly inputClosure?: readonly string[];
}

/** One output of a successful build. */
export interface BuiltOutput {
  readonly name: string;
  readonly path: string;
  /** `sha256:<nix32>`, as narinfo and `nix-store --query --hash` print it. */
  readonly narHash: string;
  readonly narSize: number;
  /** Store paths the output refers to (itself included when it does), sorted. */
  readonly references: readonly string[];
}

/** Why a build failed. */
export type BuildFailure =
  /** The builder exited with a non-zero code. */
  | { readonly reason: 'exit-code'; readonly exitCode: number }
  /** The builder was killed by a signal it did not get from us. */
  | { readonly reason: 'signal'; readonly signal: string }
  /** It ran past `limits.timeoutMs`. */
  | { readonly reason: 'timed-out' }
  /** It wrote nothing for `limits.maxSilentMs`. */
  | { readonly reason: 'silent-too-long' }
  /** It wrote more than `limits.maxLogBytes` of log. */
  | { readonly reason: 'log-too-large' }
  /** The build was cancelled through the request's signal. */
  | { readonly reason: 'cancelled' }
  /** It succeeded but an output is missing or wrong (a fixed-output hash mismatch…). */
  | { readonly reason: 'output-rejected'; readonly detail: string }
  /** Nothing to do with the derivation: a missing input, a full disk, a missing nix… */
  | { readonly reason: 'infrastructure'; readonly detail: string };

export type BuildResult =
  | { readonly ok: true; readonly outputs: readonly BuiltOutput[] }
  | ({ readonly ok: false } & BuildFailure);

/** A builder: native (Tally runs the builder) or nix (`nix-store --realise`). */
export interface Builder {
  readonly name: string;
  /** Realises `request.drv`; resolves with a failure value for anything the build does wrong. */
  build(request: BuildRequest): Promise<BuildResult>;
}

/** Turns a failure into one line for people. */
export function describeBuildFailure(failure: BuildFailure): string {
  switch (failure.reason) {
    case 'exit-code':
      return `the builder failed with exit code ${failure.exitCode}`;
    case 'signal':
      return `the builder was killed by ${failure.signal}`;
    case 'timed-out':
      return 'the build ran past its time limit';
    case 'silent-too-long':
      return 'the build was silent for too long';
    case 'log-too-large':
      return 'the build wrote more log than allowed';
    case 'cancelled':
      return 'the build was cancelled';
    case 'output-rejected':
    case 'infrastructure':
      return failure.detail;
    default:
      return unreachable(failure);
  }
}

export function unreachable(value: never): never {
  throw new Error(`unreachable: ${JSON.stringify(value)}`);
}
