/**
 * Events of a notification's stream (`notification-<id>`): telling someone about a build or an
 * evaluation, with retries.
 */
import type { IsoTime } from '../shared/time.ts';

/** How a notification travels. */
export type NotificationChannel = 'email' | 'webhook';

/** What a notification is about. */
export type NotificationSubject =
  | { readonly kind: 'build'; readonly drvPath: string }
  | { readonly kind: 'evaluation'; readonly evaluationId: string };

/** Why a delivery failed. */
export type NotificationFailureReason =
  /** The mail server or webhook could not be reached. */
  | 'unreachable'
  /** It answered with a refusal (a 4xx, a rejected recipient). */
  | 'rejected'
  /** It did not answer in time. */
  | 'timed-out'
  /** Tally's own settings for the channel are wrong (no SMTP host, a bad URL). */
  | 'misconfigured';

interface Delivery {
  readonly notificationId: string;
  readonly channel: NotificationChannel;
  /** An email address or a webhook URL. */
  readonly target: string;
  readonly about: NotificationSubject;
  /** 1 for the first try. */
  readonly attempt: number;
}

/** The notification was delivered. */
export interface NotificationSent {
  readonly type: 'NotificationSent';
  readonly data: Delivery;
}

/** A delivery failed; without `retryAt` the notifier has given up. */
export interface NotificationFailed {
  readonly type: 'NotificationFailed';
  readonly data: Delivery & {
    readonly reason: NotificationFailureReason;
    readonly detail: string;
    readonly retryAt?: IsoTime;
  };
}

/** Every event of a notification stream. */
export type NotificationEvent = NotificationSent | NotificationFailed;
