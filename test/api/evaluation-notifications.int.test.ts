/**
 * `GET /api/evaluations/:id/notifications` on a real ledger and read models: how the evaluation's
 * report reached each webhook its specification names, read from the notification streams.
 */
import { randomUUID } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { handleCommand } from '../../adapters/eventstore/command-handler.ts';
import type { NotificationCommand } from '../../domain/notification/commands.ts';
import { notificationDecider } from '../../domain/notification/index.ts';
import { evaluationNotificationId } from '../../domain/notification/policy.ts';
import { streams } from '../../domain/shared/streams.ts';
import { specificationDecider } from '../../domain/specification/index.ts';
import { specificationDefaults } from '../../domain/specification/validate.ts';
import { withTimeout } from '../helpers/uvu.ts';
import { type Json, startApiFixture } from './api-fixture.ts';
import { evaluationWithJobs } from './command-seed.ts';

const test = suite('GET /api/evaluations/:id/notifications');
const at = '2024-05-01T12:00:00.000Z';
const context = () => ({
  cause: { kind: 'command' as const, id: randomUUID() },
  actor: 'notifier' as const,
  at,
});
const up = 'https://hooks.example.org/up';
const down = 'https://hooks.example.org/down';
const fresh = 'https://hooks.example.org/fresh';

test(
  'names each webhook of the spec with its delivery: sent, retrying with why, or nothing yet',
  withTimeout(15_000, async () => {
    const api = await startApiFixture({ readModels: true });
    try {
      const spec = {
        ...specificationDefaults,
        name: 'guix',
        channels: [{ name: 'guix', url: 'https://git.guix.gnu.org/guix.git', branch: 'master' }],
        evaluator: { kind: 'guix', entry: '(gnu ci)' },
        systems: ['x86_64-linux'],
        notifications: [up, down, fresh].map((url) => ({ kind: 'webhook' as const, url })),
      } as const;
      await handleCommand(
        api.store,
        specificationDecider,
        streams.spec('guix'),
        {
          type: 'RegisterSpecification',
          spec,
          actor: 'user:alice',
          at,
        },
        { ...context(), actor: 'user:alice' },
      );
      await evaluationWithJobs(api.store, 'e1', []);
      const record = async (
        url: string,
        command: Omit<
          NotificationCommand,
          'notificationId' | 'target' | 'about' | 'channel' | 'at' | 'actor'
        >,
      ) => {
        const notificationId = evaluationNotificationId('e1', url);
        await handleCommand(
          api.store,
          notificationDecider,
          streams.notification(notificationId),
          {
            ...command,
            notificationId,
            channel: 'webhook',
            target: url,
            about: { kind: 'evaluation', evaluationId: 'e1' },
            actor: 'notifier',
            at,
          } as NotificationCommand,
          context(),
        );
      };
      await record(up, { type: 'RecordNotificationSent', attempt: 1 });
      await record(down, {
        type: 'RecordNotificationFailed',
        attempt: 1,
        reason: 'unreachable',
        detail: 'answered HTTP 503',
        retryAt: '2024-05-01T12:00:30.000Z',
      } as Omit<NotificationCommand, 'notificationId' | 'target' | 'about' | 'channel' | 'at' | 'actor'>);
      await api.caughtUp();

      const response = await api.app.inject({ url: '/api/evaluations/e1/notifications' });
      assert.is(response.statusCode, 200, response.body);
      const { notifications } = response.json() as { notifications: Json[] };
      assert.equal(
        notifications.map(({ target, status, attempts }) => [target, status, attempts]),
        [
          [up, 'sent', 1],
          [down, 'retrying', 1],
          [fresh, 'none', 0],
        ],
      );
      assert.equal(notifications[1]!.lastFailure, {
        reason: 'unreachable',
        detail: 'answered HTTP 503',
        retryAt: '2024-05-01T12:00:30.000Z',
      });
      assert.is(notifications[0]!.notificationId, evaluationNotificationId('e1', up));

      const unknown = await api.app.inject({ url: '/api/evaluations/nope/notifications' });
      assert.is(unknown.statusCode, 404);
      assert.is((unknown.json() as Json).code, 'TALLY_EVALUATION_NOT_FOUND');
    } finally {
      await api.stop();
    }
  }),
);

test.run();
