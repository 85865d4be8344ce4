/**
 * Decisions of a notification stream: attempts numbered 1, 2, 3…, nothing after delivery or giving up.
 */
import { DomainError } from '../shared/errors.ts';
import { unreachable } from '../shared/unreachable.ts';
import type { NotificationCommand } from './commands.ts';
import type { NotificationEvent } from './events.ts';
import type { NotificationState } from './state.ts';

function checkAttempt(command: NotificationCommand, state: NotificationState): void {
  if (state.status === 'sent' || state.status === 'abandoned')
    throw new DomainError(
      'TALLY_NOTIFICATION_ALREADY_SETTLED',
      `Notification ${command.notificationId} was ${state.status}`,
    );
  const expected = state.status === 'none' ? 1 : state.attempts + 1;
  if (command.attempt !== expected)
    throw new DomainError(
      'TALLY_NOTIFICATION_ATTEMPT_OUT_OF_ORDER',
      `Expected attempt ${expected}, not ${command.attempt}`,
    );
}

export function decideNotification(
  command: NotificationCommand,
  state: NotificationState,
): readonly NotificationEvent[] {
  checkAttempt(command, state);
  const { notificationId, channel, target, about, attempt } = command;
  const delivery = { notificationId, channel, target, about, attempt };
  switch (command.type) {
    case 'RecordNotificationSent':
      return [{ type: 'NotificationSent', data: delivery }];
    case 'RecordNotificationFailed': {
      const { reason, detail, retryAt } = command;
      const retry = retryAt === undefined ? {} : { retryAt };
      return [{ type: 'NotificationFailed', data: { ...delivery, reason, detail, ...retry } }];
    }
    default:
      return unreachable(command);
  }
}
