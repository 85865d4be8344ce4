/**
 * Run-time checkers of the build events' data (current schema versions).
 */
import { actor } from '../shared/metadata.ts';
import {
  array,
  count,
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
import type { FailureReason, Output, RequeueReason, Timings, Wanter } from './build.ts';
import type { BuildEvent } from './events.ts';

type Data<T extends BuildEvent['type']> = Extract<BuildEvent, { type: T }>['data'];
type Reason<K extends FailureReason['kind']> = Extract<FailureReason, { kind: K }>;

const wanter = object<Wanter>({ spec: text, evaluation: text, job: text });
export const output = object<Output>({
  name: text,
  path: text,
  narHash: text,
  narSize: count,
  references: array(text),
});
const timings = object<Timings>({ startedAt: isoTime, finishedAt: isoTime });

/** The checker of `BuildFailed.reason`. */
export const failureReason: Schema<FailureReason> = tagged<FailureReason, 'kind'>('kind', {
  'exit-code': object<Reason<'exit-code'>>({
    kind: literal('exit-code'),
    exitCode: integer({ min: 1, max: 255 }),
  }),
  signal: object<Reason<'signal'>>({ kind: literal('signal'), signal: text }),
  'timed-out': object<Reason<'timed-out'>>({ kind: literal('timed-out') }),
  'silent-too-long': object<Reason<'silent-too-long'>>({ kind: literal('silent-too-long') }),
  'worker-lost': object<Reason<'worker-lost'>>({ kind: literal('worker-lost') }),
  'dependency-failed': object<Reason<'dependency-failed'>>({
    kind: literal('dependency-failed'),
    root: text,
  }),
  'output-rejected': object<Reason<'output-rejected'>>({
    kind: literal('output-rejected'),
    detail: string(),
  }),
  infrastructure: object<Reason<'infrastructure'>>({ kind: literal('infrastructure'), detail: string() }),
});

const why = optional(string());

/** One checker per build event type. */
export const buildSchemas: { readonly [T in BuildEvent['type']]: Schema<Data<T>> } = {
  BuildQueued: object<Data<'BuildQueued'>>({
    drvPath: text,
    system: text,
    wantedBy: array(wanter),
    priority: integer(),
    dependencies: array(text),
  }),
  BuildWanted: object<Data<'BuildWanted'>>({ drvPath: text, wantedBy: array(wanter), priority: integer() }),
  BuildSubstituted: object<Data<'BuildSubstituted'>>({ drvPath: text, from: text, outputs: array(output) }),
  BuildDispatched: object<Data<'BuildDispatched'>>({
    drvPath: text,
    worker: text,
    attemptId: text,
    attempt: integer({ min: 1 }),
  }),
  BuildStarted: object<Data<'BuildStarted'>>({ drvPath: text, attemptId: text, startedAt: isoTime }),
  BuildLogStored: object<Data<'BuildLogStored'>>({
    drvPath: text,
    attemptId: text,
    logRef: text,
    bytes: count,
  }),
  BuildSucceeded: object<Data<'BuildSucceeded'>>({
    drvPath: text,
    attemptId: text,
    outputs: array(output, { minLength: 1 }),
    timings,
  }),
  BuildFailed: object<Data<'BuildFailed'>>({
    drvPath: text,
    attemptId: optional(text),
    reason: failureReason,
    message: optional(string()),
  }),
  BuildCancelled: object<Data<'BuildCancelled'>>({ drvPath: text, by: actor, why }),
  BuildRestarted: object<Data<'BuildRestarted'>>({ drvPath: text, by: actor, why }),
  BuildRequeued: object<Data<'BuildRequeued'>>({
    drvPath: text,
    attemptId: text,
    why: literal<RequeueReason>('worker-lost', 'retry-after-backoff', 'coordinator-restart'),
    notBefore: isoTime,
    detail: optional(string()),
  }),
  BuildResultIgnored: object<Data<'BuildResultIgnored'>>({
    drvPath: text,
    attemptId: text,
    why: literal('stale-attempt', 'unknown-attempt'),
    result: literal('started', 'succeeded', 'failed'),
  }),
};
