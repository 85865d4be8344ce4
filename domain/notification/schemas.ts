/**
 * Run-time checkers of the notification events' data.
 */
import {
  integer,
  isoTime,
  literal,
  object,
  optional,
  type Schema,
  string,
  tagged,
  text,
} from '../shared/schema.ts';
import type { NotificationEvent, NotificationSubject } from './events.ts';

type Data<T extends NotificationEvent['type']> = Extract<NotificationEvent, { type: T }>['data'];
type Subject<K extends NotificationSubject['kind']> = Extract<NotificationSubject, { kind: K }>;

const about = tagged<NotificationSubject, 'kind'>('kind', {
  build: object<Subject<'build'>>({ kind: literal('build'), drvPath: text }),
  evaluation: object<Subject<'evaluation'>>({ kind: literal('evaluation'), evaluationId: text }),
});
const delivery = {
  notificationId: text,
  channel: literal('email', 'webhook'),
  target: text,
  about,
  attempt: integer({ min: 1 }),
};

/** One checker per notification event type. */
export const notificationSchemas: { readonly [T in NotificationEvent['type']]: Schema<Data<T>> } = {
  NotificationSent: object<Data<'NotificationSent'>>(delivery),
  NotificationFailed: object<Data<'NotificationFailed'>>({
    ...delivery,
    reason: literal('unreachable', 'rejected', 'timed-out', 'misconfigured'),
    detail: string(),
    retryAt: optional(isoTime),
  }),
};
