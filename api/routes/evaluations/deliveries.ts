/**
 * How an evaluation's report reached each webhook: read from the notification streams, whose ids
 * follow from the evaluation and the URL (`evaluationNotificationId`).
 */
import type { EventStore } from '../../../adapters/eventstore/event-store.ts';
import { readDomainEvent } from '../../../adapters/eventstore/read-domain-event.ts';
import type { NotificationEvent } from '../../../domain/notification/events.ts';
import { notificationDecider } from '../../../domain/notification/index.ts';
import { evaluationNotificationId } from '../../../domain/notification/policy.ts';
import { fold } from '../../../domain/shared/decider.ts';
import { streams } from '../../../domain/shared/streams.ts';
import type { WebhookTarget } from '../../../domain/specification/specification.ts';

export interface Delivery {
  readonly notificationId: string;
  readonly target: string;
  readonly status: 'none' | 'sent' | 'retrying' | 'abandoned';
  readonly attempts: number;
  readonly lastFailure?: { readonly reason: string; readonly detail: string; readonly retryAt?: string };
}

export async function notificationDeliveries(
  events: EventStore,
  evaluationId: string,
  targets: readonly WebhookTarget[],
): Promise<Delivery[]> {
  return Promise.all(
    targets.map(async ({ url }) => {
      const notificationId = evaluationNotificationId(evaluationId, url);
      const history: NotificationEvent[] = [];
      for await (const recorded of events.readStream(streams.notification(notificationId)))
        history.push(readDomainEvent(recorded) as NotificationEvent);
      const state = fold(notificationDecider, history);
      const failed = history.findLast((event) => event.type === 'NotificationFailed');
      return {
        notificationId,
        target: url,
        status: state.status,
        attempts: state.status === 'none' ? 0 : state.attempts,
        ...(failed?.type === 'NotificationFailed'
          ? {
              lastFailure: {
                reason: failed.data.reason,
                detail: failed.data.detail,
                ...(failed.data.retryAt === undefined ? {} : { retryAt: failed.data.retryAt }),
              },
            }
          : {}),
      };
    }),
  );
}
