/**
 * The build command that records how an attempt ended, from the worker's outcome and the
 * dispatcher's verdict on it: the same for a current attempt and for a late answer of an ended one
 * (which the build stream then records as ignored).
 */
import type { Output } from '../../../domain/build/build.ts';
import type { BuildCommand } from '../../../domain/build/index.ts';
import type { Actor } from '../../../domain/shared/metadata.ts';
import type { AttemptOutcome } from '../../workers/worker-link.ts';
import type { AttemptVerdict } from './outcome.ts';

export interface AttemptEnd {
  readonly drvPath: string;
  readonly attemptId: string;
  readonly outcome: AttemptOutcome;
  readonly verdict: AttemptVerdict;
  readonly timings: { readonly startedAt: Date; readonly finishedAt: Date };
  /** The worker that answered. */
  readonly actor: Actor;
  readonly at: string;
  /** When a retry may start (ISO time); needed for a `retry` verdict only. */
  readonly notBefore?: string;
}

const toOutputs = (outcome: Extract<AttemptOutcome, { ok: true }>): Output[] =>
  outcome.outputs.map(({ name, path, narHash, narSize, references }) => ({
    name,
    path,
    narHash,
    narSize,
    references,
  }));

/** The command recording `end`, or undefined when there is nothing to record (our own cancel). */
export function resultCommand(end: AttemptEnd): BuildCommand | undefined {
  const { drvPath, attemptId, outcome, verdict, timings, actor, at } = end;
  const common = { drvPath, attemptId, actor, at } as const;
  if (verdict.kind === 'succeeded' && outcome.ok) {
    return {
      ...common,
      type: 'SucceedBuild',
      outputs: toOutputs(outcome),
      timings: { startedAt: timings.startedAt.toISOString(), finishedAt: timings.finishedAt.toISOString() },
    };
  }
  if (verdict.kind === 'failed') {
    return { ...common, type: 'FailBuild', reason: verdict.reason, message: verdict.message };
  }
  if (verdict.kind === 'retry' && end.notBefore !== undefined) {
    return {
      ...common,
      actor: 'dispatcher',
      type: 'RequeueBuild',
      why: 'retry-after-backoff',
      notBefore: end.notBefore,
      detail: verdict.detail,
    };
  }
  return undefined;
}
