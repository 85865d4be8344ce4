/**
 * A checkout: the commit of one channel that an evaluation uses, with an optional patch series
 * applied on top (contributions sent as patches rather than pushed as branches).
 */
import type { IsoTime } from '../shared/time.ts';

/** One patch of a series. */
export interface Patch {
  readonly subject: string;
  /** `Name <email>` as in the patch's From line. */
  readonly author: string;
  /** Where the patch's bytes are kept (a content hash in Tally's store); events never carry them. */
  readonly ref: string;
}

/** Patches to apply, in order, on top of the branch's commit. */
export interface PatchSeries {
  /** The series' id at its source (a mailing-list thread, a forge's pull request). */
  readonly id: string;
  readonly title: string;
  readonly patches: readonly Patch[];
}

/** The commit of one channel an evaluation builds. */
export interface Checkout {
  /** The channel's name in the specification. */
  readonly channel: string;
  readonly url: string;
  readonly branch: string;
  /** Full commit hash: 40 hex digits (SHA-1 repositories) or 64 (SHA-256). */
  readonly commit: string;
  /** The commit's committer time. */
  readonly commitTime: IsoTime;
  readonly patchSeries?: PatchSeries;
}

/** Why a poll could not read a channel. */
export type PollFailureReason =
  /** The fetch failed (network, protocol, a broken remote). */
  | 'fetch-failed'
  /** The fetch took longer than the poller allows. */
  | 'timed-out'
  /** The remote refused our credentials. */
  | 'auth-failed'
  /** The repository or branch does not exist. */
  | 'not-found';

const commitPattern = /^([0-9a-f]{40}|[0-9a-f]{64})$/;

/** True for a full lowercase commit hash. */
export function isCommitHash(value: string): boolean {
  return commitPattern.test(value);
}
