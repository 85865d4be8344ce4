/**
 * The state of a notification stream.
 */
import { unreachable } from '../shared/unreachable.ts';
import type { NotificationEvent } from './events.ts';

export type NotificationState =
  | { readonly status: 'none' }
  | { readonly status: 'retrying'; readonly attempts: number }
  | { readonly status: 'sent' | 'abandoned'; readonly attempts: number };

export const initialNotificationState: NotificationState = { status: 'none' };

export function evolveNotification(_state: NotificationState, event: NotificationEvent): NotificationState {
  switch (event.type) {
    case 'NotificationSent':
      return { status: 'sent', attempts: event.data.attempt };
    case 'NotificationFailed':
      return { status: event.data.retryAt ? 'retrying' : 'abandoned', attempts: event.data.attempt };
    default:
      return unreachable(event);
  }
}
