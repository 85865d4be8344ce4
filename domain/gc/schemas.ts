/**
 * Run-time checkers of the collection events' data.
 */
import {
  array,
  boolean,
  count,
  isoTime,
  literal,
  object,
  optional,
  type Schema,
  string,
  text,
} from '../shared/schema.ts';
import type { CollectedPath, GcEvent, GcPolicy } from './events.ts';

type Data<T extends GcEvent['type']> = Extract<GcEvent, { type: T }>['data'];

const policy = object<GcPolicy>({
  keepEvaluations: count,
  gracePeriodSeconds: count,
  maxFreedBytes: optional(count),
  dryRun: boolean,
});
const path = object<CollectedPath>({ path: text, bytes: count });

/** One checker per collection event type. */
export const gcSchemas: { readonly [T in GcEvent['type']]: Schema<Data<T>> } = {
  GcStarted: object<Data<'GcStarted'>>({ gcId: text, policy, startedAt: isoTime }),
  GcPathsCollected: object<Data<'GcPathsCollected'>>({ gcId: text, chunk: count, paths: array(path) }),
  GcFinished: object<Data<'GcFinished'>>({ gcId: text, freedBytes: count, pathCount: count }),
  GcFailed: object<Data<'GcFailed'>>({
    gcId: text,
    reason: literal('io-error', 'store-locked', 'interrupted'),
    detail: string(),
  }),
};
