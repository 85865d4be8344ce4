/**
 * Reading events written by older versions of Tally: each upcaster turns the data of one schema
 * version into the next, and `upcast` chains them up to the current version.
 */

import type { FailureReason } from './build/build.ts';
import type { Checkout } from './checkout/checkout.ts';
import { checkout } from './checkout/schemas.ts';
import type { Trigger } from './evaluation/job.ts';
import { trigger } from './evaluation/schemas.ts';
import { eventRegistry, type TallyEventType } from './events.ts';
import {
  type Checked,
  type Issue,
  integer,
  nullable,
  object,
  optional,
  type Schema,
  string,
  text,
} from './shared/schema.ts';

/** Turns data of one version into the next, or says why it cannot. */
type Upcaster = (data: unknown) => Checked<unknown>;

/** `BuildFailed` schema 1: the builder's exit code or signal, or neither for other failures. */
interface BuildFailedV1 {
  readonly drvPath: string;
  readonly attemptId?: string;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly message: string;
}

const buildFailedV1: Schema<BuildFailedV1> = object<BuildFailedV1>({
  drvPath: text,
  attemptId: optional(text),
  exitCode: nullable(integer()),
  signal: nullable(text),
  message: string(),
});

function reasonFromV1({ exitCode, signal, message }: BuildFailedV1): FailureReason {
  if (signal !== null) return { kind: 'signal', signal };
  // An exit status is 1 to 255; anything else (a -1 from a builder that never ran) was no exit status.
  if (exitCode !== null && exitCode >= 1 && exitCode <= 255) return { kind: 'exit-code', exitCode };
  // Schema 1 had no other way to say why: timeouts and lost workers only showed in the message.
  if (/timed out|timeout/i.test(message)) return { kind: 'timed-out' };
  if (/silent/i.test(message)) return { kind: 'silent-too-long' };
  if (/worker\b.*\b(lost|disconnected|vanished)|lost (contact|connection)/i.test(message))
    return { kind: 'worker-lost' };
  return { kind: 'infrastructure', detail: message };
}

/** `EvaluationRequested` schema 1: one checkout, before specifications had several channels. */
interface EvaluationRequestedV1 {
  readonly evaluationId: string;
  readonly spec: string;
  readonly trigger: Trigger;
  readonly checkout: Checkout;
}

const evaluationRequestedV1 = object<EvaluationRequestedV1>({
  evaluationId: text,
  spec: text,
  trigger,
  checkout,
});

function from<T>(schema: Schema<T>, convert: (old: T) => unknown): Upcaster {
  return (data) => {
    const checked = schema(data, 'data');
    return checked.ok ? { ok: true, value: convert(checked.value) } : checked;
  };
}

/** Upcasters by event type and the version they read. */
export const upcasters: Partial<Record<TallyEventType, Readonly<Record<number, Upcaster>>>> = {
  BuildFailed: {
    1: from(buildFailedV1, (old) => {
      const attempt = old.attemptId === undefined ? {} : { attemptId: old.attemptId };
      const message = old.message === '' ? {} : { message: old.message };
      return { drvPath: old.drvPath, ...attempt, reason: reasonFromV1(old), ...message };
    }),
  },
  EvaluationRequested: {
    1: from(evaluationRequestedV1, ({ checkout: only, ...rest }) => ({ ...rest, checkouts: [only] })),
  },
};

/** Why stored data could not be brought to the current version. */
export type UpcastFailure =
  | { readonly ok: false; readonly reason: 'unsupported-version'; readonly detail: string }
  | {
      readonly ok: false;
      readonly reason: 'malformed';
      readonly detail: string;
      readonly issues: readonly Issue[];
    };

/** The data of `type` at `version`, brought to the current version (not yet checked against it). */
export function upcast(
  type: TallyEventType,
  data: unknown,
  version: number,
): { readonly ok: true; readonly data: unknown } | UpcastFailure {
  const current = eventRegistry[type].schemaVersion;
  if (!Number.isSafeInteger(version) || version < 1 || version > current)
    return {
      ok: false,
      reason: 'unsupported-version',
      detail: `${type} has no schema version ${version} (current: ${current})`,
    };
  let value = data;
  for (let from = version; from < current; from++) {
    const step = upcasters[type]?.[from];
    if (!step)
      return { ok: false, reason: 'unsupported-version', detail: `no upcaster for ${type} version ${from}` };
    const next = step(value);
    if (!next.ok)
      return { ok: false, reason: 'malformed', detail: `${type} version ${from}`, issues: next.issues };
    value = next.value;
  }
  return { ok: true, data: value };
}
