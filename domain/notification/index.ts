/**
 * The notification aggregate: one message about a build or an evaluation, and its delivery attempts.
 */
import type { Decider } from '../shared/decider.ts';
import type { NotificationCommand } from './commands.ts';
import { decideNotification } from './decide.ts';
import type { NotificationEvent } from './events.ts';
import { evolveNotification, initialNotificationState, type NotificationState } from './state.ts';

export * from './commands.ts';
export * from './events.ts';
export * from './schemas.ts';
export * from './state.ts';

/** The notification decider. */
export const notificationDecider: Decider<NotificationCommand, NotificationEvent, NotificationState> = {
  initialState: initialNotificationState,
  evolve: evolveNotification,
  decide: decideNotification,
};
