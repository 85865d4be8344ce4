/**
 * The state of a checkout stream: the known head of each branch, the patch series seen, and which
 * channels are failing.
 */
import { produce } from 'immer';
import { own } from '../shared/own.ts';
import { unreachable } from '../shared/unreachable.ts';
import type { PollFailureReason } from './checkout.ts';
import type { CheckoutEvent } from './events.ts';

/** The last failure of a channel still failing. */
export interface ChannelFailure {
  readonly reason: PollFailureReason;
  readonly message: string;
}

export type CheckoutState =
  | { readonly status: 'empty' }
  | {
      readonly status: 'watching';
      readonly spec: string;
      /** channel → branch → commit of the last checkout detected. */
      readonly heads: Readonly<Record<string, Readonly<Record<string, string>>>>;
      /** How many checkouts the stream has detected, patch series included. */
      readonly detections: number;
      /**
       * channel → branch → the ordinal (1 for the stream's first) of the detection that made the
       * head: a branch set back to a commit it had before is detected anew, with a new ordinal, which
       * is how an evaluation of that commit is told apart from the one made the first time.
       */
      readonly headDetections: Readonly<Record<string, Readonly<Record<string, number>>>>;
      /** patch series id → the commit it was last detected on. */
      readonly patchSeries: Readonly<Record<string, string>>;
      /** channel → its current failure, for channels whose last poll failed. */
      readonly failing: Readonly<Record<string, ChannelFailure>>;
    };

type Watching = Extract<CheckoutState, { status: 'watching' }>;

export const initialCheckoutState: CheckoutState = { status: 'empty' };

/** The commit last detected on a channel's branch, if any (names are read as own keys: see `own`). */
export function headOf(state: CheckoutState, channel: string, branch: string): string | undefined {
  if (state.status !== 'watching') return undefined;
  return own(own(state.heads, channel) ?? {}, branch);
}

/** The ordinal of the detection that made a channel's branch's head (see `headDetections`), if any. */
export function headDetectionOf(state: CheckoutState, channel: string, branch: string): number | undefined {
  if (state.status !== 'watching') return undefined;
  return own(own(state.headDetections, channel) ?? {}, branch);
}

function watching(state: CheckoutState, spec: string): Watching {
  return state.status === 'watching'
    ? state
    : {
        status: 'watching',
        spec,
        heads: {},
        detections: 0,
        headDetections: {},
        patchSeries: {},
        failing: {},
      };
}

export function evolveCheckout(state: CheckoutState, event: CheckoutEvent): CheckoutState {
  switch (event.type) {
    case 'CheckoutDetected': {
      const { spec, channel, branch, commit, patchSeries } = event.data;
      return produce(watching(state, spec), (draft) => {
        // A literal with a computed key makes an own member whatever the id: an assignment to
        // `__proto__` would set the record's prototype instead.
        draft.detections += 1;
        if (patchSeries) draft.patchSeries = { ...draft.patchSeries, [patchSeries.id]: commit };
        else {
          draft.heads[channel] = { ...own(draft.heads, channel), [branch]: commit };
          draft.headDetections[channel] = {
            ...own(draft.headDetections, channel),
            [branch]: draft.detections,
          };
        }
        delete draft.failing[channel];
      });
    }
    case 'BranchDeleted': {
      const { channel, branch } = event.data;
      if (state.status !== 'watching' || headOf(state, channel, branch) === undefined) return state;
      return produce(state, (draft) => {
        delete draft.heads[channel]?.[branch];
        delete draft.headDetections[channel]?.[branch];
      });
    }
    case 'PollFailed': {
      const { spec, channel, reason, message } = event.data;
      return produce(watching(state, spec), (draft) => {
        draft.failing[channel] = { reason, message };
      });
    }
    case 'PollRecovered': {
      const { channel } = event.data;
      if (state.status !== 'watching' || !state.failing[channel]) return state;
      return produce(state, (draft) => {
        delete draft.failing[channel];
      });
    }
    default:
      return unreachable(event);
  }
}
