import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NotificationEvent, notificationDecider } from '../../../domain/notification/index.ts';
import { givenFor } from '../given.ts';

const given = givenFor(notificationDecider);
const delivery = {
  notificationId: 'n1',
  channel: 'email',
  target: 'maintainers@example.org',
  about: { kind: 'build', drvPath: '/nix/store/ihdwy5k1i80r3gggim39pday2v3vbpna-hello-2.12.drv' },
} as const;
const base = { ...delivery, at: '2024-05-01T12:00:00Z', actor: 'notifier' } as const;
const failure = { reason: 'unreachable', detail: 'ECONNREFUSED', retryAt: '2024-05-01T12:05:00Z' } as const;
const failed: NotificationEvent = {
  type: 'NotificationFailed',
  data: { ...delivery, attempt: 1, ...failure },
};

const notifications = suite('a notification');

notifications('is retried with numbered attempts until sent', () => {
  given([])
    .when({ ...base, type: 'RecordNotificationFailed', attempt: 1, ...failure })
    .then([failed]);
  given([failed])
    .when({ ...base, type: 'RecordNotificationSent', attempt: 2 })
    .then([{ type: 'NotificationSent', data: { ...delivery, attempt: 2 } }]);
  given([failed])
    .when({ ...base, type: 'RecordNotificationSent', attempt: 1 })
    .thenThrows('TALLY_NOTIFICATION_ATTEMPT_OUT_OF_ORDER');
});

notifications('takes no attempt after delivery or giving up', () => {
  const sent: NotificationEvent = { type: 'NotificationSent', data: { ...delivery, attempt: 1 } };
  given([sent])
    .when({ ...base, type: 'RecordNotificationSent', attempt: 2 })
    .thenThrows('TALLY_NOTIFICATION_ALREADY_SETTLED');
  const gaveUp: NotificationEvent = {
    type: 'NotificationFailed',
    data: { ...delivery, attempt: 1, reason: 'misconfigured', detail: 'no SMTP host' },
  };
  given([])
    .when({
      ...base,
      type: 'RecordNotificationFailed',
      attempt: 1,
      reason: 'misconfigured',
      detail: 'no SMTP host',
    })
    .then([gaveUp]);
  assert.is(given([gaveUp]).state.status, 'abandoned');
  given([gaveUp])
    .when({ ...base, type: 'RecordNotificationSent', attempt: 2 })
    .thenThrows('TALLY_NOTIFICATION_ALREADY_SETTLED');
});

notifications.run();
