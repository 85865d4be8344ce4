/**
 * Run-time checkers of the evaluation events' data.
 */
import { checkout } from '../checkout/schemas.ts';
import { actor } from '../shared/metadata.ts';
import {
  array,
  count,
  integer,
  isoTime,
  literal,
  object,
  optional,
  record,
  type Schema,
  string,
  text,
} from '../shared/schema.ts';
import type { Evaluator } from '../specification/specification.ts';
import type { EvaluationEvent } from './events.ts';
import type { EvaluationFailureReason, Job, Trigger } from './job.ts';

type Data<T extends EvaluationEvent['type']> = Extract<EvaluationEvent, { type: T }>['data'];

export const trigger = object<Trigger>({
  kind: literal('poll', 'webhook', 'manual', 'patch-series'),
  by: optional(text),
});
export const job = object<Job>({
  name: text,
  system: text,
  drvPath: text,
  outputs: record(text, { minKeys: 1 }),
});
const evaluator = object<Evaluator>({ kind: literal('native', 'nix', 'guix'), entry: text });
const reason = literal<EvaluationFailureReason>(
  'evaluator-error',
  'timed-out',
  'out-of-memory',
  'output-too-large',
  'malformed-output',
);

/** One checker per evaluation event type (current schema versions). */
export const evaluationSchemas: { readonly [T in EvaluationEvent['type']]: Schema<Data<T>> } = {
  EvaluationRequested: object<Data<'EvaluationRequested'>>({
    evaluationId: text,
    spec: text,
    trigger,
    checkouts: array(checkout, { minLength: 1 }),
    detection: optional(count),
  }),
  EvaluationStarted: object<Data<'EvaluationStarted'>>({ evaluationId: text, evaluator, startedAt: isoTime }),
  EvaluationJobsAdded: object<Data<'EvaluationJobsAdded'>>({
    evaluationId: text,
    chunk: count,
    jobs: array(job, { minLength: 1 }),
  }),
  EvaluationCompleted: object<Data<'EvaluationCompleted'>>({
    evaluationId: text,
    jobCount: count,
    durationMs: count,
  }),
  EvaluationBuildsReused: object<Data<'EvaluationBuildsReused'>>({
    evaluationId: text,
    chunk: count,
    spec: text,
    priority: integer(),
    builds: array(object({ drvPath: text, jobs: array(text, { minLength: 1 }) }), { minLength: 1 }),
  }),
  EvaluationFailed: object<Data<'EvaluationFailed'>>({
    evaluationId: text,
    reason,
    logRef: text,
    message: optional(string()),
  }),
  EvaluationAborted: object<Data<'EvaluationAborted'>>({ evaluationId: text, by: actor, why: string() }),
};
