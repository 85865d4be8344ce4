/**
 * The notifier's rules, apart from any network: which id a notification has, and when a failed
 * delivery is tried again.
 */
import { eventIdNamespace, uuidV5 } from '../shared/event-ids.ts';
import type { IsoTime } from '../shared/time.ts';
import type { NotificationFailureReason } from './events.ts';

/** Namespace of notification ids, apart from event ids'. */
const notificationNamespace = uuidV5(eventIdNamespace, 'tally.notifications');

/**
 * The id of the notification telling `target` about the end of evaluation `evaluationId`: the same pair
 * always gives the same id, so a notifier that restarts finds the stream of what it already sent.
 */
export function evaluationNotificationId(evaluationId: string, target: string): string {
  return uuidV5(notificationNamespace, `evaluation\u0000${evaluationId}\u0000${target}`);
}

/** Waits before the 2nd, 3rd, 4th and 5th attempts; after the 5th the notifier gives up. */
export const retryDelaysMs: readonly number[] = [30_000, 2 * 60_000, 10 * 60_000, 60 * 60_000];

/**
 * When to try again after attempt number `attempt` failed for `reason`, or `undefined` to give up.
 * A refusal (a 4xx other than 408 and 429) or Tally's own misconfiguration would fail the same way
 * again; an unreachable or slow receiver may recover.
 */
export function retryAfter(
  attempt: number,
  reason: NotificationFailureReason,
  failedAt: Date,
  delaysMs: readonly number[] = retryDelaysMs,
): IsoTime | undefined {
  if (reason === 'rejected' || reason === 'misconfigured') return undefined;
  const delay = delaysMs[attempt - 1];
  return delay === undefined ? undefined : (new Date(failedAt.getTime() + delay).toISOString() as IsoTime);
}
