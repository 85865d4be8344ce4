/**
 * Jobs: what an evaluation produces, a name bound to a derivation for one system.
 */

/** One job of an evaluation. */
export interface Job {
  /** The attribute name, unique in the evaluation (`hello.x86_64-linux`). */
  readonly name: string;
  readonly system: string;
  /** The `.drv` store path that realises the job. */
  readonly drvPath: string;
  /** Output name → store path (`{ out: '/nix/store/…-hello-2.12' }`). */
  readonly outputs: Readonly<Record<string, string>>;
}

/** What started an evaluation. */
export interface Trigger {
  /** `poll`: new commits; `webhook`: a forge's push; `manual`: someone asked; `patch-series`: patches sent in. */
  readonly kind: 'poll' | 'webhook' | 'manual' | 'patch-series';
  /** Who asked, when someone did: `user:alice`, or the forge that sent the webhook. */
  readonly by?: string;
}

/** Why an evaluation failed. */
export type EvaluationFailureReason =
  /** The evaluator exited with an error (a syntax error, a missing attribute…). */
  | 'evaluator-error'
  /** It ran past its time limit. */
  | 'timed-out'
  /** It ran past its memory limit. */
  | 'out-of-memory'
  /** It printed more than Tally accepts, or one job too large for an event. */
  | 'output-too-large'
  /** Its output could not be read as jobs. */
  | 'malformed-output';
