/**
 * Commands to a notification stream, from the notifier after each delivery attempt.
 */
import type { Actor } from '../shared/metadata.ts';
import type { IsoTime } from '../shared/time.ts';
import type { NotificationChannel, NotificationFailureReason, NotificationSubject } from './events.ts';

interface Issued {
  readonly at: IsoTime;
  readonly actor: Actor;
  readonly notificationId: string;
  readonly channel: NotificationChannel;
  readonly target: string;
  readonly about: NotificationSubject;
  readonly attempt: number;
}

export interface RecordNotificationSent extends Issued {
  readonly type: 'RecordNotificationSent';
}

export interface RecordNotificationFailed extends Issued {
  readonly type: 'RecordNotificationFailed';
  readonly reason: NotificationFailureReason;
  readonly detail: string;
  /** When to try again; leave out to give up. */
  readonly retryAt?: IsoTime;
}

/** Every command a notification stream accepts. */
export type NotificationCommand = RecordNotificationSent | RecordNotificationFailed;
