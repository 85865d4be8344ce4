/**
 * Commands to a checkout stream, sent by the poller (or the webhook route) with what git said.
 */
import type { Actor } from '../shared/metadata.ts';
import type { IsoTime } from '../shared/time.ts';
import type { PatchSeries, PollFailureReason } from './checkout.ts';

interface Issued {
  readonly at: IsoTime;
  readonly actor: Actor;
  /** The specification whose checkout stream this is. */
  readonly spec: string;
  readonly channel: string;
}

/** Record the head of a branch; nothing happens if it is already known. */
export interface DetectCheckout extends Issued {
  readonly type: 'DetectCheckout';
  readonly url: string;
  readonly branch: string;
  readonly commit: string;
  readonly commitTime: IsoTime;
  readonly patchSeries?: PatchSeries;
}

/** Record that a branch matching the channel's pattern is gone. */
export interface DeleteBranch extends Issued {
  readonly type: 'DeleteBranch';
  readonly branch: string;
}

/** Record a failed poll. */
export interface RecordPollFailure extends Issued {
  readonly type: 'RecordPollFailure';
  readonly reason: PollFailureReason;
  readonly message: string;
}

/** Record a successful poll (an event only when the channel was failing). */
export interface RecordPollSuccess extends Issued {
  readonly type: 'RecordPollSuccess';
}

/** Every command a checkout stream accepts. */
export type CheckoutCommand = DetectCheckout | DeleteBranch | RecordPollFailure | RecordPollSuccess;
