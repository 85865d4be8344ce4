/**
 * Run-time checkers of the checkout events' data, and of checkouts and patch series wherever they
 * appear (evaluations carry checkouts too).
 */
import {
  array,
  isoTime,
  literal,
  object,
  optional,
  refine,
  type Schema,
  string,
  text,
} from '../shared/schema.ts';
import {
  type Checkout,
  isCommitHash,
  type Patch,
  type PatchSeries,
  type PollFailureReason,
} from './checkout.ts';
import type { CheckoutEvent } from './events.ts';

type Data<T extends CheckoutEvent['type']> = Extract<CheckoutEvent, { type: T }>['data'];

export const commitHash = refine(text, (value) =>
  isCommitHash(value) ? undefined : 'expected a full commit hash',
);
const patch = object<Patch>({ subject: string(), author: string(), ref: text });
export const patchSeries = object<PatchSeries>({
  id: text,
  title: string(),
  patches: array(patch, { minLength: 1 }),
});
export const pollFailureReason = literal<PollFailureReason>(
  'fetch-failed',
  'timed-out',
  'auth-failed',
  'not-found',
);

export const checkout: Schema<Checkout> = object<Checkout>({
  channel: text,
  url: text,
  branch: text,
  commit: commitHash,
  commitTime: isoTime,
  patchSeries: optional(patchSeries),
});

/** One checker per checkout event type. */
export const checkoutSchemas: { readonly [T in CheckoutEvent['type']]: Schema<Data<T>> } = {
  CheckoutDetected: object<Data<'CheckoutDetected'>>({
    spec: text,
    channel: text,
    url: text,
    branch: text,
    commit: commitHash,
    commitTime: isoTime,
    detectedAt: isoTime,
    patchSeries: optional(patchSeries),
  }),
  BranchDeleted: object<Data<'BranchDeleted'>>({ spec: text, channel: text, branch: text }),
  PollFailed: object<Data<'PollFailed'>>({
    spec: text,
    channel: text,
    reason: pollFailureReason,
    message: string(),
  }),
  PollRecovered: object<Data<'PollRecovered'>>({ spec: text, channel: text }),
};
