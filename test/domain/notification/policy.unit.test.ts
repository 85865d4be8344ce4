import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { evaluationNotificationId, retryAfter, retryDelaysMs } from '../../../domain/notification/policy.ts';
import { isUuid } from '../../../domain/shared/event-ids.ts';

const policy = suite('notification policy');
const failedAt = new Date('2026-01-01T00:00:00.000Z');

policy('names one notification per evaluation and target, the same every time', () => {
  const id = evaluationNotificationId('demo-1', 'https://example.org/hook');
  assert.ok(isUuid(id));
  assert.is(evaluationNotificationId('demo-1', 'https://example.org/hook'), id);
  assert.is.not(evaluationNotificationId('demo-2', 'https://example.org/hook'), id);
  assert.is.not(evaluationNotificationId('demo-1', 'https://example.org/other'), id);
  // The separator keeps an id and a URL from running into each other.
  assert.is.not(evaluationNotificationId('a', 'bc'), evaluationNotificationId('ab', 'c'));
});

policy('tries a receiver that may recover again, later each time, then gives up', () => {
  const waits = [1, 2, 3, 4].map(
    (attempt) => Date.parse(retryAfter(attempt, 'unreachable', failedAt) ?? '') - failedAt.getTime(),
  );
  assert.equal(waits, retryDelaysMs);
  assert.is(retryAfter(5, 'unreachable', failedAt), undefined);
  assert.is(retryAfter(1, 'timed-out', failedAt), '2026-01-01T00:00:30.000Z');
});

policy('gives up at once on a refusal or its own misconfiguration', () => {
  assert.is(retryAfter(1, 'rejected', failedAt), undefined);
  assert.is(retryAfter(1, 'misconfigured', failedAt), undefined);
});

policy.run();
