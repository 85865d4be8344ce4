/**
 * Events of a specification's checkout stream (`checkout-<spec>`): what the poller saw in git.
 */
import type { IsoTime } from '../shared/time.ts';
import type { PatchSeries, PollFailureReason } from './checkout.ts';

/** A commit not seen before on a channel's branch (or a new patch series on it). */
export interface CheckoutDetected {
  readonly type: 'CheckoutDetected';
  readonly data: {
    readonly spec: string;
    readonly channel: string;
    readonly url: string;
    readonly branch: string;
    readonly commit: string;
    readonly commitTime: IsoTime;
    /** When the poller (or a webhook) saw it. */
    readonly detectedAt: IsoTime;
    readonly patchSeries?: PatchSeries;
  };
}

/** A branch that matched a channel's pattern is gone from the remote. */
export interface BranchDeleted {
  readonly type: 'BranchDeleted';
  readonly data: { readonly spec: string; readonly channel: string; readonly branch: string };
}

/** A poll of a channel failed; repeated identical failures are recorded once. */
export interface PollFailed {
  readonly type: 'PollFailed';
  readonly data: {
    readonly spec: string;
    readonly channel: string;
    readonly reason: PollFailureReason;
    /** What git said, cut to a few lines. */
    readonly message: string;
  };
}

/** A channel whose polls were failing was read again. */
export interface PollRecovered {
  readonly type: 'PollRecovered';
  readonly data: { readonly spec: string; readonly channel: string };
}

/** Every event of a checkout stream. */
export type CheckoutEvent = CheckoutDetected | BranchDeleted | PollFailed | PollRecovered;
